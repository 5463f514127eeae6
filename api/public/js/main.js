// The dashboard's entry point: builds the nav from the page registry and starts the router (docs/dashboard.md).

import { startRouter } from './app/router.js';
import { PAGES } from './pages/index.js';

startRouter(PAGES, { nav: document.getElementById('nav'), main: document.getElementById('page') });
