// The dashboard's router: #/live (default), #/reports[/name], #/sql, #/pipeline[/job], #/kafka[/topic], #/cdc, #/fraud.
// The live stream runs from the first load on. Pipeline and Kafka are page modules (js/pages/, mounted by js/ops/mount.js).

import { showCdc } from './cdc.js';
import { showFraud } from './fraud.js';
import { startLive } from './live.js';
import { leavePage, mountPage } from './ops/mount.js';
import { showReports } from './reports.js';
import { showSql } from './sql.js';

function route() {
  const [, pagePart = 'live', arg] = location.hash.split('/');
  const page = pagePart.split('?')[0];
  const name = ['live', 'reports', 'sql', 'pipeline', 'kafka', 'cdc', 'fraud'].includes(page) ? page : 'live';
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${name}`;
  for (const a of document.querySelectorAll('nav a[data-page]')) a.classList.toggle('active', a.dataset.page === name);
  if (name === 'reports') showReports(arg ? decodeURIComponent(arg) : null);
  if (name === 'sql') showSql();
  const section = document.getElementById(`page-${name}`);
  if (name === 'pipeline') mountPage('pipeline', section, () => import('./pages/pipeline.js'));
  else if (name === 'kafka') mountPage('kafka', section, () => import('./pages/kafka.js'));
  else leavePage();
  if (name === 'cdc') showCdc();
  if (name === 'fraud') showFraud();
}

window.addEventListener('hashchange', route);
route();
startLive();
