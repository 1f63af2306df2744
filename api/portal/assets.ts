/**
 * The portal's stylesheet and script, served from memory under /assets/ with a content hash in
 * the URL (so they are cached for long and never stale). No build step: plain CSS and ES5-level
 * JavaScript that only enhances pages which work without it.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root{--fg:#1d1c1d;--muted:#5e5d60;--line:#d4d4d8;--bg:#f6f6f7;--card:#fff;--accent:#0b5cad;--ok:#0a6b47;--bad:#b3261e;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,main:focus-visible{outline:3px solid #f2b705;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.4rem .6rem;z-index:2}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;padding:.6rem 1rem;background:#16233a;color:#fff}
header a{color:#fff}.brand{font-weight:700;text-decoration:none;font-size:1.1rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a{text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}nav a[aria-current=page]{border-bottom-color:#f2b705}
.who{margin-left:auto;display:flex;align-items:center;gap:.6rem;font-size:.9rem}.who form{margin:0}
header button{background:transparent;color:#fff;border-color:#8da2c0}
main{max-width:56rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .4rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0 0 .8rem}
.list{list-style:none;margin:0;padding:0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.4rem 0}.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.meta,.hint{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.quote{white-space:pre-wrap;overflow-wrap:anywhere}
.status{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid currentColor}
.status-active{color:var(--ok)}.status-pending_approval,.status-provisioning,.status-revoking{color:var(--warn)}
.status-denied,.status-failed,.status-approval_timed_out{color:var(--bad)}.status-expired,.status-revoked,.status-cancelled{color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin-top:.6rem}.actions form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:flex-end;margin:0}
button,.button{font:inherit;padding:.45rem .9rem;border-radius:6px;border:1px solid #9aa0a6;background:#fff;color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block;min-height:2.5rem}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
.field{margin:0 0 1rem}.field label,.inline label{display:block;font-weight:600;margin-bottom:.2rem}
input[type=text],select,textarea{font:inherit;width:100%;max-width:32rem;padding:.45rem .55rem;border:1px solid #8a8f98;border-radius:6px;background:#fff}
textarea{min-height:5rem}.inline input[type=text],.inline select{width:auto;min-width:12rem}
[aria-invalid=true]{border-color:var(--bad);border-width:2px}
.field-error{color:var(--bad);font-weight:600;margin:.25rem 0 0}
.alert{border-radius:8px;padding:.7rem 1rem;margin:0 0 1rem;border:1px solid}.alert.error{background:#fdecea;border-color:var(--bad)}.alert.ok{background:#e7f5ee;border-color:var(--ok)}
.timeline{list-style:none;margin:0;padding:0;border-left:3px solid var(--line)}.timeline li{margin:0 0 .6rem;padding-left:.8rem}
.empty{color:var(--muted)}
h3{font-size:1.05rem;margin:0 0 .3rem;overflow-wrap:anywhere}
.status-closing{color:var(--warn)}.status-closed{color:var(--muted)}
.level-high{color:var(--bad)}.level-medium{color:var(--warn)}.level-low{color:var(--ok)}
code.login{font:600 1rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f7;padding:.05rem .35rem;border-radius:4px;overflow-wrap:anywhere}
fieldset.field{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;max-width:32rem}fieldset.field legend{font-weight:600;padding:0 .3rem}
.check{display:flex;align-items:center;gap:.5rem;margin:.2rem 0}.check input{width:1.2rem;height:1.2rem;margin:0}.check label{font-weight:400;margin:0}
input[type=email]{font:inherit;width:100%;max-width:32rem;padding:.45rem .55rem;border:1px solid #8a8f98;border-radius:6px;background:#fff}
@media (max-width:600px){body{font-size:17px}header{padding:.5rem .75rem}.who{margin-left:0;width:100%;justify-content:space-between}main{padding:.75rem}.facts{grid-template-columns:1fr}.facts dt{margin-top:.3rem}.actions form,.actions button,.inline select,.inline input[type=text]{width:100%}}
`;

const JS = `(function () {
  'use strict';
  // Live lists: an element with data-live="<url>" is refreshed from that JSON endpoint every few
  // seconds, without reloading the page; never while the person is using a control inside it.
  Array.prototype.forEach.call(document.querySelectorAll('[data-live]'), function (list) {
    var url = list.getAttribute('data-live');
    var every = Number(list.getAttribute('data-live-every')) || 3000;
    var status = document.getElementById('live-status');
    var signature = list.getAttribute('data-signature');
    function busy() {
      var active = document.activeElement;
      if (active && active !== list && list.contains(active)) return true;
      return Array.prototype.some.call(list.querySelectorAll('textarea, input[type=text]'), function (f) { return f.value !== f.defaultValue; });
    }
    function schedule() { setTimeout(tick, every); }
    function tick() {
      if (document.hidden || busy()) return schedule();
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (res) {
          if (res.status === 401) { location.reload(); return null; }
          return res.ok ? res.json() : null;
        })
        .then(function (data) {
          if (!data || busy()) return;
          if (data.signature !== signature) {
            list.innerHTML = data.html;
            signature = data.signature;
            list.setAttribute('data-signature', signature);
          }
          if (status && status.textContent !== data.summary) status.textContent = data.summary;
        })
        .catch(function () { /* the next tick tries again */ })
        .then(schedule);
    }
    schedule();
  });
  // Request form: the hints follow the chosen resource.
  var resource = document.getElementById('resource');
  if (resource && resource.tagName === 'SELECT') {
    resource.addEventListener('change', function () {
      var option = resource.options[resource.selectedIndex];
      ['resource-hint', 'duration-hint', 'justification-hint'].forEach(function (id) {
        var el = document.getElementById(id);
        if (el && option) el.textContent = option.getAttribute('data-' + id) || '';
      });
    });
  }
})();
`;

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export const ASSETS = {
  css: { path: `/assets/portal.css`, version: version(CSS), body: CSS, type: 'text/css; charset=utf-8' },
  js: { path: `/assets/portal.js`, version: version(JS), body: JS, type: 'text/javascript; charset=utf-8' },
} as const;

export const assetUrl = (asset: keyof typeof ASSETS): string => `${ASSETS[asset].path}?v=${ASSETS[asset].version}`;
