// Server-Sent Events for pages: openStream(url, {event: fn(data)}, signal) parses each event's JSON data, and
// shows the stream's state in the header's connection badge (#conn) while at least one stream is open.

const open = new Set();

function badge(state, text) {
  const c = document.getElementById('conn');
  if (!c) return;
  c.hidden = open.size === 0;
  c.dataset.state = state;
  c.textContent = text;
}

/**
 * Opens an EventSource on `url`; `handlers` maps event names to functions of the parsed data. The stream closes
 * when `signal` aborts (the router passes the page's). The browser reconnects by itself after an error.
 * Returns the EventSource.
 */
export function openStream(url, handlers, signal) {
  const source = new EventSource(url);
  open.add(source);
  badge('connecting', 'connecting');
  source.onopen = () => badge('live', 'live');
  source.onerror = () => badge('down', source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting');
  for (const [name, fn] of Object.entries(handlers)) {
    source.addEventListener(name, (e) => {
      fn(JSON.parse(e.data));
      badge('live', 'live');
    });
  }
  const close = () => {
    source.close();
    open.delete(source);
    badge('idle', '');
  };
  if (signal) {
    if (signal.aborted) close();
    else signal.addEventListener('abort', close, { once: true });
  }
  return source;
}
