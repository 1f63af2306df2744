/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function htmlPage(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#1d1c1d}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.5rem 0;background:#fff}
.meta{color:#616061;font-size:.8rem}.block{margin:.3rem 0;white-space:pre-wrap}
button{margin:.2rem .3rem .2rem 0;padding:.3rem .8rem;border-radius:4px;border:1px solid #bbb;background:#f8f8f8;cursor:pointer}
button.primary{background:#007a5a;color:#fff;border-color:#007a5a}button.danger{background:#e01e5a;color:#fff;border-color:#e01e5a}
.ephemeral{border-style:dashed;background:#fafafa}code{background:#f3f3f3;padding:0 .2rem}
</style>${head}</head><body>${body}</body></html>`;
}
