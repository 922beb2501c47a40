// albatross dashboard: polls /status every 2 s and renders it. Every string from the
// configuration, an error message or the network goes in as text (textContent / text nodes),
// never as HTML; there is no inline script or style, so the endpoint's CSP holds for this page.
'use strict';

(() => {
  const REFRESH_MS = 2000;
  const HISTORY = 150;  // 5 minutes of samples at 2 s
  const TOKEN_KEY = 'albatross.admin_token';  // sessionStorage: never a cookie, never the URL
  const SVG_NS = 'http://www.w3.org/2000/svg';

  let previous = null;  // the last sample: {at, listeners, groups, targets} of cumulative counters
  const history = new Map();  // group name -> [{requests, errors}] rates, oldest first
  let lastSuccess = 0;
  let status = null;

  const byId = (id) => document.getElementById(id);

  // Builds an element; `children` are nodes or strings (strings become text nodes).
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const text = (value) => (value === null || value === undefined ? '–' : String(value));
  const fixed = (value, digits) =>
    value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

  function duration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (d > 0) return `${d}d ${h}h ${m}m`;
    if (h > 0) return `${h}h ${m}m ${s}s`;
    return `${m}m ${s}s`;
  }

  function rate(now, before, seconds) {
    if (before === undefined || seconds <= 0 || now < before) return null;
    return (now - before) / seconds;
  }

  // A quantile of the responses observed between two readings of a cumulative histogram,
  // interpolated within its bucket as Prometheus's histogram_quantile does. Seconds, or null.
  function quantile(q, bounds, now, before) {
    if (!before || before.length !== now.length || now.length === 0) return null;
    const delta = now.map((n, i) => n - before[i]);
    const total = delta[delta.length - 1];
    if (!(total > 0)) return null;
    const rank = q * total;
    for (let i = 0; i < delta.length; ++i) {
      if (delta[i] >= rank) {
        if (i >= bounds.length) return bounds[bounds.length - 1];
        const lower = i === 0 ? 0 : bounds[i - 1];
        const below = i === 0 ? 0 : delta[i - 1];
        const inBucket = delta[i] - below;
        return inBucket > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inBucket) : bounds[i];
      }
    }
    return null;
  }

  function facts(list, pairs) {
    list.replaceChildren();
    for (const [name, value] of pairs) list.append(el('dt', {}, name), el('dd', {}, value));
  }

  function sparkline(samples, key, cssClass, max) {
    const width = 240;
    const height = 40;
    const line = document.createElementNS(SVG_NS, 'polyline');
    const step = width / (HISTORY - 1);
    const offset = HISTORY - samples.length;
    const points = samples.map((s, i) => {
      const y = height - 2 - ((s[key] || 0) / max) * (height - 4);
      return `${((offset + i) * step).toFixed(1)},${y.toFixed(1)}`;
    });
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', cssClass);
    return line;
  }

  function renderSparkline(samples) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 240 40');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    const max = Math.max(1, ...samples.map((s) => Math.max(s.requests || 0, s.errors || 0)));
    svg.append(sparkline(samples, 'requests', 'requests', max));
    svg.append(sparkline(samples, 'errors', 'errors5xx', max));
    return svg;
  }

  function stateCell(target) {
    const state = text(target.state);
    return el('td', { class: `state state-${state}`, 'data-state': state }, state);
  }

  function targetActions(group, target) {
    const draining = target.state === 'draining' || target.state === 'unused';
    const action = draining ? 'activate' : 'drain';
    const button = el('button', { type: 'button', class: draining ? 'activate' : 'drain danger' },
                      draining ? 'Activate' : 'Drain');
    button.addEventListener('click', () => targetAction(action, group, target.target));
    return el('td', {}, button);
  }

  function render(s, seconds) {
    const sample = { listeners: {}, groups: {}, targets: {} };
    byId('version').textContent = `version ${text(s.version)}`;
    facts(byId('process'), [
      ['Uptime', duration(s.uptime_seconds || 0)],
      ['Started', text(s.started_at)],
      ['Worker threads', text(s.threads)],
    ]);
    const config = s.config || {};
    const reload = config.last_reload || {};
    facts(byId('config'), [
      ['File', text(config.file)],
      ['Hash', text(config.hash)],
      ['Loaded at', text(config.loaded_at)],
      ['Last reload', `${text(reload.result)} at ${text(reload.at)}`],
    ]);
    const errors = byId('reload-errors');
    errors.replaceChildren(...(reload.errors || []).map((e) => el('li', {}, e)));

    const listenerRows = [];
    for (const l of s.listeners || []) {
      const r = l.responses_total || {};
      sample.listeners[l.name] = { requests: l.requests_total, r4: r['4xx'], r5: r['5xx'] };
      const before = previous && previous.listeners[l.name];
      listenerRows.push(el('tr', { 'data-listener': l.name },
        el('td', {}, l.name), el('td', {}, l.bind), el('td', {}, l.protocol),
        el('td', {}, text(l.tls_policy)), el('td', {}, text(l.target_group)),
        el('td', { class: 'num' }, text(l.connections_active)),
        el('td', { class: 'num' }, fixed(rate(l.requests_total, before && before.requests, seconds), 1)),
        el('td', { class: 'num' }, fixed(rate(r['4xx'], before && before.r4, seconds), 1)),
        el('td', { class: 'num' }, fixed(rate(r['5xx'], before && before.r5, seconds), 1))));
    }
    byId('listeners').tBodies[0].replaceChildren(...listenerRows);

    const groups = [];
    for (const g of s.target_groups || []) {
      const rt = g.response_time || { bounds: [], cumulative: [] };
      sample.groups[g.name] = { requests: g.requests_total, r5: g.responses_5xx_total, cumulative: rt.cumulative };
      const before = previous && previous.groups[g.name];
      const requests = rate(g.requests_total, before && before.requests, seconds);
      const errors5xx = rate(g.responses_5xx_total, before && before.r5, seconds);
      const p50 = quantile(0.5, rt.bounds, rt.cumulative, before && before.cumulative);
      const p99 = quantile(0.99, rt.bounds, rt.cumulative, before && before.cumulative);
      const samples = history.get(g.name) || [];
      if (requests !== null) {
        samples.push({ requests, errors: errors5xx || 0 });
        if (samples.length > HISTORY) samples.shift();
      }
      history.set(g.name, samples);

      const rows = [];
      for (const t of g.targets || []) {
        const id = `${g.name}/${t.target}`;
        sample.targets[id] = { requests: t.requests_total, errors: t.connection_errors_total };
        const tb = previous && previous.targets[id];
        rows.push(el('tr', { 'data-target': id },
          el('td', {}, t.target), stateCell(t), el('td', {}, text(t.reason)),
          el('td', { class: 'num' }, text(t.last_check_status)),
          el('td', { class: 'num' }, t.last_check_latency_ms === null ? '–' : `${fixed(t.last_check_latency_ms, 1)} ms`),
          el('td', { class: 'num' }, text(t.in_flight)),
          el('td', { class: 'num' }, fixed(rate(t.requests_total, tb && tb.requests, seconds), 1)),
          el('td', { class: 'num' }, fixed(rate(t.connection_errors_total, tb && tb.errors, seconds), 1)),
          el('td', {}, text(t.drain_deadline)),
          targetActions(g.name, t)));
      }
      const table = el('table', { class: 'targets' },
        el('thead', {}, el('tr', {},
          ...['Target', 'State', 'Reason', 'Check', 'Latency', 'In flight', 'Req/s', 'Conn err/s',
              'Drain deadline', ''].map((h, i) => el('th', { class: i >= 3 && i <= 7 ? 'num' : '' }, h)))),
        el('tbody', {}, ...rows));
      groups.push(el('div', { class: 'group', 'data-group': g.name },
        el('div', { class: 'group-head' },
          el('h3', {}, g.name),
          el('span', { class: 'muted' }, text(g.algorithm)),
          el('span', { class: 'badge' }, g.stickiness ? 'sticky' : 'not sticky'),
          el('span', { class: g.fail_open ? 'badge bad' : 'badge' }, g.fail_open ? 'fail-open' : 'fail-closed'),
          el('span', {}, `${text(g.routable_targets)} routable, ${text(g.unhealthy_targets)} unhealthy`)),
        el('div', { class: 'spark-row' },
          renderSparkline(samples),
          el('span', { class: 'legend-requests' }, `req/s ${fixed(requests, 1)}`),
          el('span', { class: 'legend-5xx' }, `5xx/s ${fixed(errors5xx, 2)}`),
          el('span', {}, `p50 ${p50 === null ? '–' : fixed(p50 * 1000, 1) + ' ms'}`),
          el('span', {}, `p99 ${p99 === null ? '–' : fixed(p99 * 1000, 1) + ' ms'}`)),
        el('div', { class: 'scroll' }, table)));
    }
    const removed = s.removed_targets || [];
    if (removed.length > 0) {
      groups.push(el('div', { class: 'group', 'data-group': '' },
        el('div', { class: 'group-head' }, el('h3', {}, 'Removed targets (deregistering)')),
        el('div', { class: 'scroll' }, el('table', { class: 'targets' }, el('tbody', {},
          ...removed.map((t) => el('tr', { 'data-target': `${t.target_group}/${t.target}` },
            el('td', {}, t.target_group), el('td', {}, t.target), stateCell(t),
            el('td', {}, text(t.reason)), el('td', {}, text(t.drain_deadline)))))))));
    }
    byId('groups').replaceChildren(...groups);

    const certificates = s.certificates || [];
    byId('certificates').tBodies[0].replaceChildren(...certificates.map((c) =>
      el('tr', {}, el('td', {}, c.listener), el('td', {}, c.certificate), el('td', {}, c.not_after),
         el('td', { class: c.days_left < 14 ? 'num state-unhealthy' : 'num' }, text(c.days_left)))));
    byId('certificates').hidden = certificates.length === 0;
    byId('no-certificates').hidden = certificates.length > 0;
    return sample;
  }

  function showStale(stale) {
    byId('stale').hidden = !stale;
    document.body.classList.toggle('is-stale', stale);
    const ago = lastSuccess ? Math.round((Date.now() - lastSuccess) / 1000) : null;
    byId('updated').textContent = lastSuccess ? `updated ${ago} s ago` : 'not loaded yet';
  }

  async function refresh() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REFRESH_MS);
    try {
      const response = await fetch('/status', { cache: 'no-store', signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status = await response.json();
      const at = Date.now();
      const seconds = previous ? (at - previous.at) / 1000 : 0;
      const sample = render(status, seconds);
      sample.at = at;
      previous = sample;
      lastSuccess = at;
      showStale(false);
    } catch (e) {
      showStale(true);
    } finally {
      clearTimeout(timer);
    }
  }

  function loop() {
    refresh().finally(() => setTimeout(loop, REFRESH_MS));
  }

  function showOutcome(ok, message) {
    const outcome = byId('outcome');
    outcome.textContent = message;
    outcome.classList.toggle('failed', !ok);
    outcome.hidden = false;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  function showTokenState() {
    byId('token-state').textContent = token() ? 'token kept for this tab' : 'no token';
  }

  async function post(path, form) {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    try {
      const response = await fetch(path, {
        method: 'POST', headers, body: form ? new URLSearchParams(form).toString() : '',
        cache: 'no-store', credentials: 'omit',
      });
      const body = (await response.text()).trim();
      if (response.status === 401) {
        showOutcome(false, `${response.status}: ${body}. Enter the admin token above.`);
        byId('token').focus();
      } else {
        showOutcome(response.ok, `${response.status}: ${body}`);
      }
    } catch (e) {
      showOutcome(false, `request failed: ${e.message}`);
    }
    refresh();
  }

  function targetAction(action, group, target) {
    const verb = action === 'drain' ? 'Drain' : 'Activate';
    if (!window.confirm(`${verb} target ${target} in target group ${group}?`)) return;
    post(`/targets/${action}`, { target_group: group, target });
  }

  document.addEventListener('DOMContentLoaded', () => {
    byId('reload').addEventListener('click', () => {
      if (!window.confirm('Reload the configuration file now?')) return;
      post('/reload', null);
    });
    byId('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = byId('token').value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      byId('token').value = '';
      showTokenState();
    });
    byId('token-forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showTokenState();
    });
    showTokenState();
    loop();
  });
})();
