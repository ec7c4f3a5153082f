/** Errors of the server assembly (config, data directory, admin API): stable codes. */
import { SignetError } from '../core/errors.js';

/** Every code the server domain throws (docs/errors/server.md lists their meaning). */
export type ServerErrorCode =
  | 'ERR_SERVER_CONFIG'
  | 'ERR_SERVER_DATA_DIR'
  | 'ERR_SERVER_DATA_DIR_LOCKED'
  | 'ERR_SERVER_SECRETS'
  | 'ERR_SERVER_SETUP_TOKEN'
  | 'ERR_SERVER_ADMIN_UNAUTHORIZED'
  | 'ERR_SERVER_NOT_FOUND'
  | 'ERR_SERVER_INVALID_REQUEST'
  | 'ERR_SERVER_UNAVAILABLE'
  | 'ERR_SERVER_WEB_APP_MISSING'
  | 'ERR_SERVER_PDF_UNREADABLE';

/** A server start-up or admin-API failure. */
export class ServerError extends SignetError<ServerErrorCode> {}
