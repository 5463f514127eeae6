// The page registry: one entry per page (docs/dashboard.md, "Adding a page"). `path` is the hash (`#/<path>`),
// `title` the nav label (`nav: false` keeps a page out of the nav), `load` imports the page module, `css` an
// optional stylesheet (or list of them) under /assets/css/ loaded with the page. The first entry is the default page.

export const PAGES = [
  { path: 'live', title: 'Live', load: () => import('./live.js'), css: 'pages/live.css' },
  { path: 'portfolio', title: 'Portfolios', load: () => import('./portfolio.js'), css: 'pages/portfolio.css' },
  { path: 'reports', title: 'Reports', load: () => import('./reports.js'), css: 'pages/reports.css' },
  { path: 'sql', title: 'SQL', load: () => import('./sql.js'), css: 'pages/sql.css' },
  { path: 'pipeline', title: 'Pipeline', load: () => import('./pipeline.js'), css: ['ops.css', 'pages/pipeline.css'] },
  { path: 'kafka', title: 'Kafka', load: () => import('./kafka.js'), css: ['ops.css', 'pages/kafka.css'] },
  { path: 'cdc', title: 'CDC', load: () => import('./cdc.js'), css: 'pages/cdc.css' },
  { path: 'fraud', title: 'Fraud', load: () => import('./fraud.js'), css: 'pages/fraud.css' },
  { path: 'upload', title: 'Upload', load: () => import('./upload.js'), css: ['ops.css', 'pages/upload.css'] },
  { path: 'retail', title: 'Retail', load: () => import('./retail.js'), css: ['ops.css', 'pages/retail.css'] },
  {
    path: 'fundamentals',
    title: 'Fundamentals',
    load: () => import('./fundamentals.js'),
    css: 'pages/fundamentals.css',
  },
];
