/** Entry point of the Signature Application: mounts the shell into #app (index.html). */
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
