import { html } from 'htm/preact';
import { h, render } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrf, type Box, type DecisionResult, type FailedCheck, type FieldView, type Me, type QueueItem, type ReviewDocumentView, type SourceView } from './api.ts';
import { arithmetic, fieldProblem, fieldWarning, fromText, lineProblem, toText, type LineText } from './values.ts';


/**
 * The review console: sign in, the queue, one document (page beside fields,
 * each field's source box highlighted), decisions, and keyboard flow. Routes
 * live in the location hash: #/queue, #/doc/<id>.
 */

type Route = { view: 'queue' } | { view: 'doc'; id: string };

function parseRoute(): Route {
  const m = /^#\/doc\/([0-9a-f-]{36})$/.exec(location.hash);
  return m ? { view: 'doc', id: m[1]! } : { view: 'queue' };
}

const go = (hash: string) => {
  if (location.hash !== hash) location.hash = hash;
};

const isTyping = (e: KeyboardEvent) => {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
};

/**
 * A window keydown handler that always sees the latest render: the listener is
 * added once and calls the handler of the last render, so keys pressed faster
 * than effects run (a clerk typing j j Enter) never act on stale state.
 */
function useKeys(handler: (e: KeyboardEvent) => void) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => latest.current(e);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

function confidenceClass(c: number | null): string {
  if (c === null) return 'conf conf-none';
  return c >= 0.9 ? 'conf conf-high' : c >= 0.7 ? 'conf conf-mid' : 'conf conf-low';
}

function age(iso: string): string {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

// ---- app --------------------------------------------------------------------------

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [route, setRoute] = useState<Route>(parseRoute());
  const [help, setHelp] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);

  const refreshMe = useCallback(async () => {
    const m = await api<Me>('GET', '/console/api/me');
    setCsrf(m.csrfToken);
    setMe(m);
  }, []);

  useEffect(() => {
    void refreshMe();
    const onHash = () => setRoute(parseRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [refreshMe]);

  useKeys((e) => {
    if (e.key === '?' && !isTyping(e)) {
      e.preventDefault();
      setHelp((v) => !v);
    } else if (e.key === 'Escape' && help) setHelp(false);
  });

  if (!me) return html`<p class="loading">Loading…</p>`;
  if (!me.user) return html`<${SignIn} onDone=${refreshMe} />`;

  const signOut = async () => {
    await api('POST', '/console/api/sign-out');
    location.hash = '';
    await refreshMe();
  };
  const onAuthError = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) void refreshMe();
  };

  return html`
    <header class="top">
      <a href="#/queue" class="brand">docroute review</a>
      <span class="who">${me.user.name} <small>(${me.user.role})</small></span>
      <span class="today" data-testid="done-today">done today: ${me.doneToday ?? 0}</span>
      <button type="button" class="link" onClick=${() => setHelp(true)} title="Keyboard shortcuts">? keys</button>
      <button type="button" class="link" onClick=${signOut}>Sign out</button>
    </header>
    ${flash ? html`<div class="flash" role="status" data-testid="flash">${flash}</div>` : null}
    <main>
      ${route.view === 'queue'
        ? html`<${Queue} me=${me} onError=${onAuthError} />`
        : html`<${DocumentPage}
            key=${route.id}
            id=${route.id}
            me=${me}
            onError=${onAuthError}
            onDecided=${async (message: string) => {
              setFlash(message);
              await refreshMe();
            }}
          />`}
    </main>
    ${help ? html`<${Help} onClose=${() => setHelp(false)} />` : null}
  `;
}

// ---- sign-in ----------------------------------------------------------------------

function SignIn({ onDone }: { onDone: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [change, setChange] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try {
      const newPassword = change ? String(form.get('newPassword') ?? '') : undefined;
      const result = await api<Me>('POST', '/console/api/sign-in', {
        name: String(form.get('name') ?? ''),
        password: String(form.get('password') ?? ''),
        ...(newPassword !== undefined ? { newPassword } : {}),
      });
      setCsrf(result.csrfToken);
      await onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return html`
    <form class="signin" onSubmit=${submit} aria-label="Sign in">
      <h1>docroute review</h1>
      <label>Name <input name="name" autocomplete="username" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <label class="check"><input type="checkbox" checked=${change} onChange=${() => setChange(!change)} /> Set a new password</label>
      ${change
        ? html`<label>New password (10+ characters) <input name="newPassword" type="password" autocomplete="new-password" minlength="10" /></label>`
        : null}
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit">Sign in</button>
    </form>
  `;
}

// ---- help overlay -----------------------------------------------------------------

const KEYS: [string, string][] = [
  ['?', 'show or hide this list'],
  ['j / ↓, k / ↑', 'next / previous row (queue) or field (document)'],
  ['Alt+↓ / Alt+↑', 'next / previous field, also while editing'],
  ['Enter or e', 'open the selected document / edit the selected field'],
  ['Esc', 'stop editing (back to field navigation)'],
  ['a', 'approve the document as extracted'],
  ['Ctrl+Enter', 'submit: corrections if you changed anything, else approve'],
  ['r', 'reject (type the reason, then Enter)'],
  ['+ / Alt+Enter', 'add a line item after the current one'],
  ['- / Alt+Backspace', 'remove the current line item'],
  ['n', 'next document (the oldest nobody is reviewing)'],
  ['[ / ]', 'previous / next page'],
  ['q', 'back to the queue'],
];

function Help({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return html`
    <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" tabindex="-1" ref=${ref} onClick=${onClose}>
      <div class="overlay-box" onClick=${(e: Event) => e.stopPropagation()}>
        <h2>Keyboard</h2>
        <table class="keys">
          ${KEYS.map(([k, what]) => html`<tr><th><kbd>${k}</kbd></th><td>${what}</td></tr>`)}
        </table>
        <button type="button" onClick=${onClose}>Close (Esc)</button>
      </div>
    </div>
  `;
}

// ---- queue ------------------------------------------------------------------------

function Queue({ me, onError }: { me: Me; onError: (e: unknown) => void }) {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [filter, setFilter] = useState({ kind: '', reason: '', vendor: '', sort: 'oldest' });
  const [selected, setSelected] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== '')).toString();
    try {
      const r = await api<{ items: QueueItem[] }>('GET', `/console/api/queue?${q}`);
      setItems(r.items);
    } catch (e) {
      onError(e);
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [filter, onError]);
  useEffect(() => void load(), [load]);

  const next = useCallback(async () => {
    try {
      const r = await api<{ documentId: string | null }>('POST', '/console/api/next');
      if (r.documentId) go(`#/doc/${r.documentId}`);
      else setError('Nothing left to review.');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);

  useKeys((e) => {
    if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey || !items) return;
    if (e.key === 'j' || e.key === 'ArrowDown') setSelected((s) => Math.min(items.length - 1, s + 1));
    else if (e.key === 'k' || e.key === 'ArrowUp') setSelected((s) => Math.max(0, s - 1));
    else if (e.key === 'Enter' && items[selected]) go(`#/doc/${items[selected]!.documentId}`);
    else if (e.key === 'n') void next();
    else return;
    e.preventDefault();
  });

  useEffect(() => {
    document.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const set = (key: keyof typeof filter) => (e: Event) => setFilter({ ...filter, [key]: (e.target as HTMLInputElement).value });
  return html`
    <section class="queue">
      <div class="queue-head">
        <h1>Review queue <small data-testid="queue-count">${items ? `${items.length} waiting` : ''}</small></h1>
        ${me.user?.canReview ? html`<button type="button" onClick=${next} data-testid="next">Next document (n)</button>` : null}
      </div>
      <form class="filters" onSubmit=${(e: Event) => e.preventDefault()} aria-label="Filters">
        <label>Kind <select value=${filter.kind} onChange=${set('kind')}>
          <option value="">any</option><option value="invoice">invoice</option><option value="contract">contract</option><option value="other">other</option>
        </select></label>
        <label>Reason <input value=${filter.reason} onInput=${set('reason')} placeholder="e.g. confidence" /></label>
        <label>Vendor / party <input value=${filter.vendor} onInput=${set('vendor')} /></label>
        <label>Sort <select value=${filter.sort} onChange=${set('sort')}>
          <option value="oldest">oldest first</option><option value="amount">amount, largest first</option>
        </select></label>
      </form>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      ${items && items.length === 0 ? html`<p class="empty">The queue is clear.</p>` : null}
      ${items && items.length > 0
        ? html`<table class="grid" data-testid="queue">
            <thead><tr><th>File</th><th>Kind</th><th>Vendor / parties</th><th class="num">Total</th><th>Age</th><th>Why it needs a look</th><th>Status</th></tr></thead>
            <tbody>
              ${items.map(
                (it, i) => html`<tr
                  class=${i === selected ? 'selected' : ''}
                  data-document=${it.documentId}
                  onClick=${() => go(`#/doc/${it.documentId}`)}
                >
                  <td><a href=${`#/doc/${it.documentId}`}>${it.file}</a></td>
                  <td>${it.kind ?? '?'}</td>
                  <td>${it.counterparty ?? '—'}</td>
                  <td class="num">${it.total ? `${it.total} ${it.currency ?? ''}` : '—'}</td>
                  <td>${age(it.createdAt)}</td>
                  <td class="reasons">${it.reasons.map((r) => html`<div title=${r.code} data-reason=${r.code}>${r.text}</div>`)}</td>
                  <td>${it.claimedBy ? html`<span class="claim">being reviewed by ${it.claimedBy}</span>` : 'open'}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : null}
      ${me.recent && me.recent.length > 0
        ? html`<section class="history" aria-label="Your recent decisions">
            <h2>Your recent decisions</h2>
            <ul>${me.recent.map((r) => html`<li><span class=${`act act-${r.action}`}>${r.action}</span> ${r.file} <small>${age(r.at)} ago</small></li>`)}</ul>
          </section>`
        : null}
    </section>
  `;
}

// ---- one document ------------------------------------------------------------------

type Active = { kind: 'field'; name: string } | { kind: 'line'; index: number } | { kind: 'party'; index: number } | null;

function DocumentPage({ id, me, onError, onDecided }: { id: string; me: Me; onError: (e: unknown) => void; onDecided: (m: string) => Promise<void> }) {
  const [doc, setDoc] = useState<ReviewDocumentView | null>(null);
  const [claim, setClaim] = useState<{ claimed: boolean; claimedBy: string | null } | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [lines, setLines] = useState<LineText[]>([]);
  const [active, setActive] = useState<Active>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [note, setNote] = useState('');
  // Checks that fail on the corrected record: the reviewer fixes the fields, or confirms each with a reason.
  const [failedChecks, setFailedChecks] = useState<FailedCheck[]>([]);
  const [confirm, setConfirm] = useState<Record<string, string>>({});
  const root = useRef<HTMLDivElement>(null);
  // Focus to move once the change that makes its target is on the page: applied as the render
  // commits (not a frame later), so keys typed right after (a new line's text) land in it.
  const afterRender = useRef<(() => void) | null>(null);
  const focusSoon = (focus: () => void) => {
    afterRender.current = focus;
  };
  useLayoutEffect(() => {
    const focus = afterRender.current;
    afterRender.current = null;
    focus?.();
  });
  // Whether this reviewer holds the document's claim: leaving it undecided releases it for others.
  const held = useRef(false);
  const release = () => {
    if (!held.current) return Promise.resolve();
    held.current = false;
    return api('POST', `/console/api/documents/${id}/release`).catch(() => undefined);
  };

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const c = me.user?.canReview ? await api<{ claimed: boolean; claimedBy: string | null }>('POST', `/console/api/documents/${id}/claim`) : null;
        held.current = c?.claimed === true;
        if (!live) return void release();
        const d = await api<ReviewDocumentView>('GET', `/console/api/documents/${id}`);
        if (!live) return void release();
        setClaim(c);
        setDoc(d);
        setTexts(Object.fromEntries(d.fields.map((f) => [f.name, toText(f, f.value)])));
        setLines((d.lineItems ?? []).map((l) => ({ description: l.description, quantity: l.quantity ?? '', unitPrice: l.unitPrice ?? '', amount: l.amount ?? '' })));
        const first = d.fields.find((f) => f.attention.length > 0) ?? d.fields[0];
        if (first) setActive({ kind: 'field', name: first.name });
      } catch (e) {
        onError(e);
        setError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      live = false;
      void release();
    };
  }, [id]);

  const kind = doc?.kind === 'invoice' || doc?.kind === 'contract' ? doc.kind : null;
  const readOnly = !me.user?.canReview || (claim !== null && !claim.claimed) || doc?.status !== 'needs_review';
  const problems = useMemo(() => {
    const out: Record<string, string | null> = {};
    if (!doc || !kind) return out;
    for (const f of doc.fields) out[f.name] = fieldProblem(kind, f, texts[f.name] ?? '');
    return out;
  }, [doc, kind, texts]);
  const lineProblems = useMemo(
    () => lines.map((l) => ({
      description: lineProblem('description', l.description),
      quantity: lineProblem('quantity', l.quantity),
      unitPrice: lineProblem('unitPrice', l.unitPrice),
      amount: lineProblem('amount', l.amount),
    })),
    [lines],
  );
  const changed = useMemo(() => {
    if (!doc) return {} as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of doc.fields) {
      const text = texts[f.name] ?? '';
      if (text !== toText(f, f.value)) out[f.name] = fromText(f, text);
    }
    if (doc.lineItems) {
      const original = doc.lineItems.map((l) => ({ description: l.description, quantity: l.quantity ?? '', unitPrice: l.unitPrice ?? '', amount: l.amount ?? '' }));
      if (JSON.stringify(original) !== JSON.stringify(lines)) {
        out.lineItems = lines.map((l) => {
          const v = (s: string) => (s.trim() === '' ? null : s.trim().replace(/[\s,](?=\d{3}(\D|$))/g, ''));
          return { description: l.description.trim(), quantity: v(l.quantity), unitPrice: v(l.unitPrice), amount: v(l.amount) };
        });
      }
    }
    return out;
  }, [doc, texts, lines]);
  const invalid = Object.values(problems).some(Boolean) || lineProblems.some((p) => Object.values(p).some(Boolean));
  const check = kind === 'invoice' ? arithmetic(lines, texts.subtotal ?? '', texts.total ?? '') : null;

  // The boxes to highlight: the active field's, on its page.
  const activeEvidence = useMemo((): SourceView | null => {
    if (!doc || !active) return null;
    if (active.kind === 'field') return doc.fields.find((x) => x.name === active.name) ?? null;
    if (active.kind === 'line') return doc.lineItems?.[active.index] ?? null;
    return doc.parties?.[active.index] ?? null;
  }, [doc, active]);
  useEffect(() => {
    if (activeEvidence?.page) setPage(activeEvidence.page);
  }, [activeEvidence]);
  useEffect(() => {
    root.current?.querySelector('.box')?.scrollIntoView({ block: 'center', inline: 'nearest' });
  }, [activeEvidence, page]);

  const decide = useCallback(
    async (action: 'approve' | 'correct' | 'reject', extra: { fields?: Record<string, unknown>; note?: string } = {}) => {
      if (busy || readOnly) return;
      setBusy(true);
      setError(null);
      try {
        const confirmed = Object.fromEntries(Object.entries(confirm).filter(([k, v]) => v.trim() && failedChecks.some((c) => c.name === k)));
        const r = await api<DecisionResult>('POST', `/console/api/documents/${id}/decision`, {
          action,
          ...extra,
          ...(action !== 'reject' && Object.keys(confirmed).length ? { confirm: confirmed } : {}),
        });
        const changedNames = Object.keys(extra.fields ?? {});
        const what =
          action === 'reject'
            ? `Rejected ${doc?.file}.`
            : `${action === 'correct' ? 'Corrected' : 'Approved'} ${doc?.file}: record version ${r.version ?? '?'}${changedNames.length ? ` (${changedNames.join(', ')} changed)` : ''}.`;
        held.current = false; // the server released it with the decision
        await onDecided(what);
        const next = await api<{ documentId: string | null }>('POST', '/console/api/next', { after: id });
        go(next.documentId ? `#/doc/${next.documentId}` : '#/queue');
      } catch (e) {
        onError(e);
        const checks = e instanceof ApiError ? ((e.data.failedChecks as FailedCheck[] | undefined) ?? []) : [];
        setFailedChecks(checks);
        setError(e instanceof Error ? `Refused: ${e.message}` : String(e));
        if (checks.length) focusSoon(() => root.current?.querySelector<HTMLElement>('.confirm input')?.focus());
      } finally {
        setBusy(false);
      }
    },
    [busy, readOnly, id, doc, onDecided, onError, confirm, failedChecks],
  );
  const submit = useCallback(() => {
    if (invalid) {
      setError('Fix the fields marked in red first.');
      return;
    }
    if (Object.keys(changed).length > 0) void decide('correct', { fields: changed });
    else void decide('approve');
  }, [invalid, changed, decide]);

  const order = useMemo((): Active[] => {
    if (!doc) return [];
    return [
      ...doc.fields.map((f): Active => ({ kind: 'field', name: f.name })),
      ...(doc.parties ?? []).map((_, i): Active => ({ kind: 'party', index: i })),
      ...lines.map((_, i): Active => ({ kind: 'line', index: i })),
    ];
  }, [doc, lines]);
  const focusActive = (a: Active, edit: boolean) => {
    if (!a) return;
    const sel = a.kind === 'field' ? `[data-field="${a.name}"]` : a.kind === 'line' ? `[data-line="${a.index}"]` : `[data-party="${a.index}"]`;
    const row = root.current?.querySelector<HTMLElement>(sel);
    const target = (edit ? row?.querySelector<HTMLElement>('input, select') : null) ?? row;
    target?.focus();
  };
  const move = (delta: number, edit: boolean) => {
    const i = order.findIndex((a) => JSON.stringify(a) === JSON.stringify(active));
    const next = order[Math.min(order.length - 1, Math.max(0, i + delta))] ?? null;
    setActive(next);
    focusSoon(() => focusActive(next, edit));
  };
  const addLine = (after: number) => {
    const at = Math.min(lines.length, after + 1);
    setLines([...lines.slice(0, at), { description: '', quantity: '', unitPrice: '', amount: '' }, ...lines.slice(at)]);
    setActive({ kind: 'line', index: at });
    focusSoon(() => focusActive({ kind: 'line', index: at }, true));
  };
  const removeLine = (index: number) => {
    if (index < 0 || index >= lines.length) return;
    setLines(lines.filter((_, i) => i !== index));
    const next: Active = lines.length > 1 ? { kind: 'line', index: Math.max(0, index - 1) } : null;
    setActive(next);
    focusSoon(() => focusActive(next, false));
  };

  useKeys((e) => {
    if (!doc) {
      // Still loading: going back to the queue already works.
      if (e.key === 'q' && !isTyping(e) && !e.ctrlKey && !e.metaKey && !e.altKey) go('#/queue');
      return;
    }
    const typing = isTyping(e);
    const currentLine = active?.kind === 'line' ? active.index : lines.length - 1;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
    else if (e.altKey && e.key === 'ArrowDown') move(1, typing);
    else if (e.altKey && e.key === 'ArrowUp') move(-1, typing);
    else if (e.altKey && e.key === 'Enter' && kind === 'invoice') addLine(currentLine);
    else if (e.altKey && e.key === 'Backspace' && active?.kind === 'line') removeLine(active.index);
    else if (typing && e.key === 'Escape') {
      (e.target as HTMLElement).blur();
      focusActive(active, false);
    } else if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    else if (e.key === 'j' || e.key === 'ArrowDown') move(1, false);
    else if (e.key === 'k' || e.key === 'ArrowUp') move(-1, false);
    else if (e.key === 'e' || e.key === 'Enter') focusActive(active, true);
    else if (e.key === 'a') void decide('approve');
    else if (e.key === 'r' && !readOnly) {
      const focusNote = () => root.current?.querySelector<HTMLElement>('#reject-note')?.focus();
      if (rejecting) focusNote();
      else {
        setRejecting(true);
        focusSoon(focusNote);
      }
    } else if (e.key === '+' && kind === 'invoice') addLine(currentLine);
    else if (e.key === '-' && active?.kind === 'line') removeLine(active.index);
    else if (e.key === 'n') {
      void (async () => {
        await release();
        const next = await api<{ documentId: string | null }>('POST', '/console/api/next', { after: id });
        go(next.documentId ? `#/doc/${next.documentId}` : '#/queue');
      })();
    } else if (e.key === '[') setPage((p) => Math.max(1, p - 1));
    else if (e.key === ']') setPage((p) => Math.max(1, Math.min(doc.pages.length, p + 1)));
    else if (e.key === 'q') go('#/queue');
    else return;
    e.preventDefault();
  });

  if (error && !doc) return html`<p class="error" role="alert">${error}</p>`;
  if (!doc) return html`<p class="loading">Loading…</p>`;

  const pageInfo = doc.pages.find((p) => p.page === page);
  const boxes = activeEvidence && activeEvidence.page === page ? (activeEvidence.boxes ?? []) : [];
  return html`
    <div class="doc" ref=${root}>
      ${doc.original === 'xml'
        ? html`<section class="viewer" aria-label="Source">
            <p class="viewer-head" data-testid="no-page-image">
              An XML e-invoice: there is no page image. Each value was read from an element of the XML; the focused one is shown here.
            </p>
            <${XmlSource} source=${activeEvidence} />
          </section>`
        : html`<section class="viewer" aria-label="Page">
            <div class="viewer-head">
              <button type="button" onClick=${() => setPage(Math.max(1, page - 1))} disabled=${page <= 1} aria-label="Previous page">‹</button>
              <span data-testid="page-number">page ${page} of ${doc.pages.length}</span>
              <button type="button" onClick=${() => setPage(Math.min(doc.pages.length, page + 1))} disabled=${page >= doc.pages.length} aria-label="Next page">›</button>
              ${activeEvidence?.path
                ? html`<span class="xpath">from the XML: <code data-testid="source-path">${activeEvidence.path}</code></span>`
                : activeEvidence && activeEvidence.boxes === null && activeEvidence.page !== null
                  ? html`<span class="nobox">quote not located on the page</span>`
                  : null}
            </div>
            <div class="page" data-testid="page">
              <img src=${`/console/pages/${doc.documentId}/${page}`} alt=${`Page ${page} of ${doc.file}`} data-testid="page-image"
                class=${pageInfo?.width && pageInfo.height && pageInfo.width > pageInfo.height ? 'landscape' : ''} />
              ${boxes.map((b) => html`<${BoxMark} box=${b} />`)}
            </div>
          </section>`}
      <section class="fields" aria-label="Fields">
        <h1>${doc.file} <small>${doc.kind ?? 'unknown kind'}</small></h1>
        ${claim && !claim.claimed ? html`<p class="claim" role="status">Being reviewed by ${claim.claimedBy}: read only.</p>` : null}
        ${doc.status !== 'needs_review' ? html`<p class="claim" role="status">This document is ${doc.status.replace('_', ' ')}: nothing to decide.</p>` : null}
        ${!me.user?.canReview ? html`<p class="claim" role="status">Your role (${me.user?.role}) may not decide documents.</p>` : null}
        <ul class="reasons" data-testid="reasons">${doc.reasons.map((r) => html`<li title=${r.code} data-reason=${r.code}>${r.text}</li>`)}</ul>
        ${doc.fields.map(
          (f) => html`<${FieldRow}
            field=${f}
            text=${texts[f.name] ?? ''}
            problem=${problems[f.name] ?? null}
            active=${active?.kind === 'field' && active.name === f.name}
            readOnly=${readOnly}
            onFocus=${() => setActive({ kind: 'field', name: f.name })}
            onInput=${(text: string) => setTexts({ ...texts, [f.name]: text })}
          />`,
        )}
        ${doc.parties
          ? html`<h2>Parties</h2>
              <ul class="parties">${doc.parties.map(
                (p, i) => html`<li data-party=${i} tabindex="0" class=${active?.kind === 'party' && active.index === i ? 'active' : ''}
                  onFocus=${() => setActive({ kind: 'party', index: i })} onMouseEnter=${() => setActive({ kind: 'party', index: i })}>
                  ${p.name} ${p.role ? html`<small>(${p.role})</small>` : null} <span class=${confidenceClass(p.confidence)}>${p.confidence?.toFixed(2)}</span>
                </li>`,
              )}</ul>`
          : null}
        ${kind === 'invoice'
          ? html`<${LineItems}
              lines=${lines}
              problems=${lineProblems}
              original=${doc.lineItems ?? []}
              active=${active?.kind === 'line' ? active.index : -1}
              readOnly=${readOnly}
              issues=${check?.lineIssues ?? []}
              onActive=${(i: number) => setActive({ kind: 'line', index: i })}
              onChange=${setLines}
              onAdd=${addLine}
              onRemove=${removeLine}
            />
            <p class=${`arith ${check?.ok === false ? 'bad' : check?.ok ? 'good' : ''}`} data-testid="arithmetic">${check?.message}</p>`
          : null}
        ${doc.documentChecks.length > 0
          ? html`<h2>Checks</h2><ul class="checks">${doc.documentChecks.map(
              (c) => html`<li class=${c.passed ? 'pass' : 'fail'}>${c.passed ? '✓' : '✗'} ${c.message}</li>`,
            )}</ul>`
          : null}
        ${error ? html`<p class="error" role="alert" data-testid="error">${error}</p>` : null}
        ${failedChecks.length
          ? html`<div class="confirm" aria-label="Confirm failing checks">
              <p>These checks fail on the record as corrected. Fix the fields, or confirm each with a reason and submit again (Ctrl+Enter):</p>
              ${failedChecks.map(
                (c) => html`<label>${c.message}
                  <input value=${confirm[c.name] ?? ''} placeholder="why it is right as it is"
                    onInput=${(e: Event) => setConfirm({ ...confirm, [c.name]: (e.target as HTMLInputElement).value })} /></label>`,
              )}
            </div>`
          : null}
        ${rejecting
          ? html`<form class="reject" onSubmit=${(e: Event) => {
              e.preventDefault();
              void decide('reject', { note });
            }}>
              <label>Why reject it? <input id="reject-note" value=${note} onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)} required
                onKeyDown=${(e: KeyboardEvent) => e.key === 'Escape' && setRejecting(false)} /></label>
              <button type="submit" disabled=${busy || !note.trim()}>Reject</button>
            </form>`
          : null}
        <div class="actions">
          <button type="button" onClick=${() => void decide('approve')} disabled=${busy || readOnly || Object.keys(changed).length > 0} title="a">Approve (a)</button>
          <button type="button" onClick=${submit} disabled=${busy || readOnly || invalid || Object.keys(changed).length === 0} title="Ctrl+Enter" data-testid="submit">
            Submit corrections (Ctrl+Enter)
          </button>
          <button type="button" onClick=${() => setRejecting(true)} disabled=${busy || readOnly} title="r">Reject… (r)</button>
          <a href="#/queue">Queue (q)</a>
        </div>
      </section>
    </div>
  `;
}

/** An e-invoice's value source: the XML element path it was read from (there is no page to box it on). */
function XmlSource({ source }: { source: SourceView | null }) {
  if (!source) return html`<p class="xml-source muted">Focus a field to see where it was read.</p>`;
  if (!source.path) return html`<p class="xml-source muted">This value was not read from the XML.</p>`;
  return html`<dl class="xml-source">
    <dt>XML element</dt><dd><code data-testid="source-path">${source.path}</code></dd>
    ${source.quote ? html`<dt>Its text</dt><dd data-testid="source-text">${source.quote}</dd>` : null}
  </dl>`;
}

function BoxMark({ box }: { box: Box }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    // Set through the CSSOM: the Content-Security-Policy allows no inline style attributes.
    el.style.left = `${box.x * 100}%`;
    el.style.top = `${box.y * 100}%`;
    el.style.width = `${box.w * 100}%`;
    el.style.height = `${box.h * 100}%`;
  }, [box]);
  return html`<div class="box" ref=${ref} data-testid="box"></div>`;
}

function FieldRow(props: {
  field: FieldView;
  text: string;
  problem: string | null;
  active: boolean;
  readOnly: boolean;
  onFocus: () => void;
  onInput: (text: string) => void;
}) {
  const { field: f, text, problem } = props;
  const changed = text !== toText(f, f.value);
  const failing = f.checks.filter((c) => !c.passed);
  return html`
    <div class=${`field ${props.active ? 'active' : ''} ${f.attention.length ? 'attention' : ''}`} data-field=${f.name} tabindex="-1"
      onMouseEnter=${props.onFocus} onFocusIn=${props.onFocus}>
      <label for=${`f-${f.name}`}>${f.label}</label>
      <input id=${`f-${f.name}`} name=${f.name} value=${text} readOnly=${props.readOnly} aria-invalid=${problem ? 'true' : 'false'}
        class=${`${problem ? 'invalid' : ''} ${changed ? 'changed' : ''}`}
        placeholder=${f.type === 'date' ? 'YYYY-MM-DD' : f.type === 'amount' ? '1234.50' : f.type === 'currency' ? 'EUR' : f.type === 'duration' ? '12 months' : ''}
        onInput=${(e: Event) => props.onInput((e.target as HTMLInputElement).value)} />
      <span class=${confidenceClass(changed ? 1 : f.confidence)} title="confidence">${changed ? 'edited' : f.confidence === null ? '—' : f.confidence.toFixed(2)}</span>
      ${problem ? html`<div class="problem">${problem}</div>` : null}
      ${!problem && fieldWarning(f, text) ? html`<div class="why">${fieldWarning(f, text)}</div>` : null}
      ${f.attention.length && !changed ? html`<div class="why">${f.attention.join('; ')}</div>` : null}
      ${f.checks.length && !failing.length ? html`<div class="passed">✓ ${f.checks.map((c) => c.name).join(', ')}</div>` : null}
    </div>
  `;
}

function LineItems(props: {
  lines: LineText[];
  problems: Record<keyof LineText, string | null>[];
  original: { confidence: number | null }[];
  active: number;
  readOnly: boolean;
  issues: number[];
  onActive: (i: number) => void;
  onChange: (lines: LineText[]) => void;
  onAdd: (after: number) => void;
  onRemove: (i: number) => void;
}) {
  const cols: [keyof LineText, string][] = [
    ['description', 'Description'],
    ['quantity', 'Qty'],
    ['unitPrice', 'Unit price'],
    ['amount', 'Amount'],
  ];
  const set = (i: number, key: keyof LineText) => (e: Event) => {
    const next = props.lines.map((l, j) => (j === i ? { ...l, [key]: (e.target as HTMLInputElement).value } : l));
    props.onChange(next);
  };
  return html`
    <h2>Line items</h2>
    <table class="lines" data-testid="lines">
      <thead><tr>${cols.map(([, label]) => html`<th>${label}</th>`)}<th></th></tr></thead>
      <tbody>
        ${props.lines.map(
          (l, i) => html`<tr data-line=${i} tabindex="-1" class=${`${props.active === i ? 'active' : ''} ${props.issues.includes(i) ? 'bad' : ''}`}
            onFocusIn=${() => props.onActive(i)} onMouseEnter=${() => props.onActive(i)}>
            ${cols.map(
              ([key, label]) => html`<td><input aria-label=${`${label}, line ${i + 1}`} value=${l[key]} readOnly=${props.readOnly}
                class=${props.problems[i]?.[key] ? 'invalid' : ''} title=${props.problems[i]?.[key] ?? ''} onInput=${set(i, key)} /></td>`,
            )}
            <td><button type="button" class="link" tabindex="-1" disabled=${props.readOnly} onClick=${() => props.onRemove(i)} aria-label=${`Remove line ${i + 1}`}>✕</button></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <button type="button" class="link" disabled=${props.readOnly} onClick=${() => props.onAdd(props.lines.length - 1)}>+ add line (+)</button>
  `;
}

render(h(App, {}), document.getElementById('app')!);
