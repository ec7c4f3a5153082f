/** What the authorization endpoint answers: an HTML page (with a session cookie change) or a redirect. */

/** Set or clear the interaction session cookie. */
export type SessionChange =
  { readonly set: string; readonly maxAgeSeconds: number } | { readonly clear: true };

/** What the HTTP layer sends back: a page, or a redirect (302 after GET, 303 after POST: RFC 9700 §4.12). */
export type AuthorizeResponse =
  | {
      readonly kind: 'page';
      readonly status: number;
      readonly html: string;
      readonly session?: SessionChange;
    }
  | {
      readonly kind: 'redirect';
      readonly status: 302 | 303;
      readonly location: string;
      readonly session?: SessionChange;
    };
