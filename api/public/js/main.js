// The dashboard's router: #/live (default), #/reports[/name], #/sql, #/cdc, #/fraud. The live stream runs from the first load on.

import { showCdc } from './cdc.js';
import { showFraud } from './fraud.js';
import { startLive } from './live.js';
import { showReports } from './reports.js';
import { showSql } from './sql.js';

function route() {
  const [, page = 'live', arg] = location.hash.split('/');
  const name = ['live', 'reports', 'sql', 'cdc', 'fraud'].includes(page) ? page : 'live';
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${name}`;
  for (const a of document.querySelectorAll('nav a[data-page]')) a.classList.toggle('active', a.dataset.page === name);
  if (name === 'reports') showReports(arg ? decodeURIComponent(arg) : null);
  if (name === 'sql') showSql();
  if (name === 'cdc') showCdc();
  if (name === 'fraud') showFraud();
}

window.addEventListener('hashchange', route);
route();
startLive();
