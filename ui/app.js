// The dashboard's page (docs/decisions/0038): Preact with htm, no build step. Every figure comes from the JSON API
// of `batchpilot ui`; live pages follow its server-sent events. The token, when there is one, is read from the URL's
// fragment (never sent to the server by the browser) and kept in memory only.
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';

const html = htm.bind(h);

const token = new URLSearchParams(location.hash.slice(1)).get('token');
/** The fragment every link keeps, so a reload or a new tab still has the token. */
const fragment = token === null ? '' : `#token=${encodeURIComponent(token)}`;

async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.headers ?? {}), ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

/**
 * `path` with `params` and, when there is one, the token in its query: for what cannot set a header (a download link,
 * an EventSource).
 */
function withToken(path, params = {}) {
  const query = new URLSearchParams(params);
  if (token !== null) query.set('token', token);
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

const fileHref = (jobId, name) => withToken(`/api/jobs/${encodeURIComponent(jobId)}/files/${name}`);
const streamUrl = (params) => withToken('/api/stream', params);

function navigate(path) {
  history.pushState(null, '', path + fragment);
  renderApp();
}

/** A link inside the dashboard: pushed, not loaded, so the page and its streams are replaced in place. */
function Link({ href, children, ...rest }) {
  const onClick = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href + fragment} onClick=${onClick} ...${rest}>${children}</a>`;
}

/** Follows a live stream while mounted: the latest figures, and the failure if reading them failed. */
function useStream(params) {
  const key = JSON.stringify(params);
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    setState({ data: null, error: null });
    const source = new EventSource(streamUrl(params));
    source.onmessage = (event) => setState({ data: JSON.parse(event.data), error: null });
    source.addEventListener('failure', (event) =>
      setState((previous) => ({ data: previous.data, error: JSON.parse(event.data).message })),
    );
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setState((previous) => ({ data: previous.data, error: 'the dashboard stopped answering' }));
      }
    };
    return () => source.close();
  }, [key]);
  return state;
}

/** A one-off read of `path` (items and an item), read again when `path` changes. */
function useApi(path) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ data: null, error: null });
    api(path).then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error: error.message }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  return state;
}

const number = (value) => (value === null || value === undefined ? '–' : value.toLocaleString('en-US'));
const usd = (value) => (value === null || value === undefined ? '–' : `$${value.toFixed(value < 1 ? 4 : 2)}`);
const seconds = (value) => {
  if (value === null || value === undefined) return '–';
  if (value < 90) return `${Math.round(value)} s`;
  if (value < 5400) return `${Math.round(value / 60)} min`;
  return `${(value / 3600).toFixed(1)} h`;
};
/** Answers per second over the last minute, while the job runs; an ended job has no rate. */
const rateOf = (job) => (job.state === 'running' && job.rate_rps > 0 ? `${job.rate_rps}/s` : '–');
/** `n thing` or `n things`. */
const count = (n, thing) => `${number(n)} ${thing}${n === 1 ? '' : 's'}`;
const percent = (part, whole) => (whole > 0 ? Math.min(100, Math.round((part / whole) * 1000) / 10) : 0);
/** A share from 0 to 1 as a percentage, `–` when there is none yet. */
const share = (rate) => (rate === null ? '–' : `${percent(rate, 1)}%`);

/**
 * A bar of `value` out of `max`; `failed` (part of `value`) shows in the failure colour. `hideLabel` keeps the label
 * for screen readers only (a table row already names what it is the progress of).
 */
function Progress({ label, value, max, detail, failed = 0, hideLabel = false }) {
  const shown = percent(value - failed, max);
  return html`<div class="progress">
    <div class="progress-label">
      <span class=${hideLabel ? 'visually-hidden' : ''}>${label}</span><span>${detail ?? `${number(value)} / ${number(max)}`}</span>
    </div>
    <div
      class="bar"
      role="progressbar"
      aria-label=${label}
      aria-valuemin="0"
      aria-valuemax=${max}
      aria-valuenow=${value}
    >
      <div class="fill" style=${`width: ${shown}%`}></div>
      ${failed > 0 ? html`<div class="fill failed" style=${`width: ${percent(failed, max)}%`}></div>` : null}
    </div>
  </div>`;
}

/** Where a page sits: links joined by slashes, the last one the page itself. */
function Crumbs({ trail }) {
  return html`<nav class="crumbs" aria-label="Breadcrumb">
    ${trail.map(([label, href], index) => [
      index > 0 ? ' / ' : '',
      href === null ? html`<span aria-current="page">${label}</span>` : html`<${Link} href=${href}>${label}<//>`,
    ])}
  </nav>`;
}

function Failure({ error }) {
  return error === null ? null : html`<p class="failure" role="alert">${error}</p>`;
}

function StateBadge({ state }) {
  return html`<span class=${`badge state-${state}`}>${state}</span>`;
}

const JOB_STATES = ['', 'created', 'running', 'interrupted', 'completed', 'failed', 'cancelled'];

function JobsPage({ query }) {
  const state = query.get('state') ?? '';
  const offset = Number(query.get('offset') ?? 0);
  const limit = 50;
  const { data, error } = useStream({ view: 'jobs', state, offset, limit });
  const go = (next) => navigate(`/?${new URLSearchParams({ ...next })}`);
  return html`<main>
    <h1>Jobs</h1>
    <form class="filters" onSubmit=${(event) => event.preventDefault()}>
      <label
        >State
        <select value=${state} onChange=${(event) => go({ state: event.currentTarget.value, offset: 0 })}>
          ${JOB_STATES.map((value) => html`<option value=${value}>${value === '' ? 'any' : value}</option>`)}
        </select>
      </label>
    </form>
    <${Failure} error=${error} />
    ${
      data === null
        ? html`<p class="loading">Loading…</p>`
        : html`<p class="count">${count(data.total, 'job')}</p>
            <div class="table-wrap">
              <table class="jobs">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">State</th>
                    <th scope="col">Mode</th>
                    <th scope="col">Model</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Rate</th>
                    <th scope="col">ETA</th>
                    <th scope="col">Cost / budget</th>
                    <th scope="col">Started</th>
                    <th scope="col">Last progress</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.jobs.map(
                    (job) =>
                      html`<tr data-job=${job.job_id}>
                        <td><${Link} href=${`/jobs/${encodeURIComponent(job.job_id)}`}>${job.job_id}<//></td>
                        <td><${StateBadge} state=${job.state} /></td>
                        <td>${job.mode}</td>
                        <td>${job.provider} ${job.model ?? ''}</td>
                        <td class="progress-cell">
                          <${Progress}
                            label=${`${job.job_id} progress`}
                            hideLabel=${true}
                            failed=${job.counts.failed}
                            value=${job.done}
                            max=${job.counts.total}
                            detail=${`${number(job.done)} / ${number(job.counts.total)}${job.input_fully_read ? '' : '+'}`}
                          />
                        </td>
                        <td>${rateOf(job)}</td>
                        <td>${seconds(job.eta_s)}</td>
                        <td>${usd(job.cost_usd)}${job.budget_usd > 0 ? ` / ${usd(job.budget_usd)}` : ''}</td>
                        <td>
                          <time datetime=${job.created_at}>${job.created_at.replace('T', ' ').slice(0, 19)}</time>
                        </td>
                        <td>${job.last_progress_age_s === null ? '–' : `${seconds(job.last_progress_age_s)} ago`}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages of jobs">
              <button disabled=${offset === 0} onClick=${() => go({ state, offset: Math.max(0, offset - limit) })}>
                Newer
              </button>
              <button disabled=${offset + limit >= data.total} onClick=${() => go({ state, offset: offset + limit })}>
                Older
              </button>
            </nav>`
    }
  </main>`;
}

function Histogram({ title, counts, tone = 'bad' }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0)
    return html`<section>
      <h2>${title}</h2>
      <p class="none">None.</p>
    </section>`;
  const max = Math.max(...entries.map(([, count]) => count));
  return html`<section>
    <h2>${title}</h2>
    <dl class="histogram">
      ${entries.map(
        ([cause, count]) =>
          html`<div class="histogram-row">
            <dt>${cause}</dt>
            <dd>
              <span class=${`histogram-bar tone-${tone}`} style=${`width: ${percent(count, max)}%`}></span>
              <span class="histogram-count">${number(count)}</span>
            </dd>
          </div>`,
      )}
    </dl>
  </section>`;
}

/** The actions a job in `state` offers, each the CLI command of the same name (run by the dashboard). */
function actionsFor(view) {
  const { state, counts } = { state: view.summary.state, counts: view.status.counts };
  const actions = [];
  if (state === 'running' || state === 'created' || state === 'queued')
    actions.push(['cancel', 'Cancel', 'Stop the job? In-flight answers are kept; resume carries it on.']);
  if (state === 'interrupted' || state === 'cancelled')
    actions.push(['resume', 'Resume', 'Resume the job in the background?']);
  if (state !== 'running' && counts.failed > 0)
    actions.push(['retry', 'Retry failed', `Send the ${counts.failed} failed items again?`]);
  const notValid = (view.checks.invalid ?? 0) + (view.checks.truncated ?? 0);
  if (view.data_job && state !== 'running' && notValid > 0)
    actions.push([
      'reask',
      'Re-ask invalid',
      `Ask the ${notValid} invalid or truncated answers once more, with their errors as feedback?`,
    ]);
  if (view.data_job && state !== 'running') {
    actions.push([
      'validate',
      'Validate again',
      'Check every stored answer again with the current rules (sends nothing)?',
    ]);
    actions.push([
      'integrate',
      'Write the enriched dataset again',
      'Write the enriched dataset and its report again (sends nothing)?',
    ]);
  }
  return actions;
}

function Actions({ jobId, view }) {
  const [outcome, setOutcome] = useState(null);
  const [busy, setBusy] = useState(false);
  const actions = actionsFor(view);
  if (actions.length === 0 && outcome === null) return null;
  const take = async (action, question) => {
    if (!confirm(question)) return;
    setBusy(true);
    setOutcome(null);
    try {
      const result = await api(`/api/jobs/${encodeURIComponent(jobId)}/actions/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const failed =
        result.exit_code !== 0 && !(['retry', 'resume', 'reask'].includes(action) ? result.exit_code === 3 : false);
      const message =
        result.output?.error?.message ?? (failed ? result.log || `exit code ${result.exit_code}` : 'done');
      setOutcome({ action, failed, message });
    } catch (error) {
      setOutcome({ action, failed: true, message: error.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="actions-title">
    <h2 id="actions-title">Actions</h2>
    <div class="actions">
      ${actions.map(([action, label, question]) => html`<button type="button" data-action=${action} disabled=${busy} onClick=${() => take(action, question)}>${label}</button>`)}
    </div>
    ${outcome === null ? null : html`<p class=${outcome.failed ? 'failure' : 'done'} role="status" data-testid="action-outcome">${`${outcome.action}: ${outcome.message}`}</p>`}
  </section>`;
}

/** A colour of the page's palette, for a canvas (which cannot read CSS variables). */
const colour = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * A uPlot chart of `series` (each `{ label, values, colour }`) over `times` (epoch ms), made once and given new data
 * as the job's figures come in. `summary` says in words what it shows, for those who do not see it.
 */
function Chart({ title, times, series, summary }) {
  const holder = useRef(null);
  const plot = useRef(null);
  const data = [times.map((at) => at / 1000), ...series.map((line) => line.values)];
  useEffect(() => {
    if (plot.current === null) {
      const axis = {
        stroke: colour('--muted'),
        grid: { stroke: colour('--line') },
        ticks: { stroke: colour('--line') },
      };
      plot.current = new uPlot(
        {
          width: Math.max(280, holder.current.clientWidth),
          height: 200,
          legend: { show: true },
          axes: [axis, axis],
          // One point alone would get a range of years: a minute either side of it instead.
          scales: {
            y: { range: (_self, _min, max) => [0, Math.max(1, max)] },
            x: {
              time: true,
              range: (self, min, max) => {
                const xs = self.data[0];
                return xs.length === 1 ? [xs[0] - 60, xs[0] + 60] : [min, max];
              },
            },
          },
          series: [{}, ...series.map((line) => ({ label: line.label, stroke: colour(line.colour), width: 2 }))],
        },
        data,
        holder.current,
      );
    } else {
      plot.current.setData(data);
    }
  });
  useEffect(() => () => plot.current?.destroy(), []);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${holder} role="img" aria-label=${`${title}: ${summary}`}></div>
    <p class="chart-summary">${summary}</p>
  </figure>`;
}

function HistoryCharts({ view }) {
  const history = view.history;
  if (history.length === 0) return null;
  const times = history.map((point) => point.at);
  const last = history[history.length - 1];
  let spent = 0;
  const cumulative = history.map((point) => (spent += point.cost_usd ?? 0));
  const budget = view.summary.budget_usd;
  const priced = history.some((point) => point.cost_usd !== null);
  return html`<section aria-labelledby="history-title">
    <h2 id="history-title">History</h2>
    <div class="two-columns">
      <${Chart}
        title="Attempts per minute"
        times=${times}
        series=${[
          { label: 'answered', values: history.map((point) => point.ok), colour: '--fill' },
          { label: 'failed', values: history.map((point) => point.failed), colour: '--bad' },
        ]}
        summary=${`latest minute: ${number(last.ok)} answered, ${number(last.failed)} failed`}
      />
      ${
        priced
          ? html`<${Chart}
            title="Cost so far"
            times=${times}
            series=${[
              { label: 'spent ($)', values: cumulative, colour: '--accent' },
              ...(budget > 0 ? [{ label: 'budget ($)', values: times.map(() => budget), colour: '--bad' }] : []),
            ]}
            summary=${`${usd(spent)} spent${budget > 0 ? ` of ${usd(budget)}` : ''}; forecast for the whole job ${usd(view.forecast_usd)}`}
          />`
          : null
      }
    </div>
  </section>`;
}

/**
 * The groups' bars: once the job ended, its report's figures (valid rows, `already` included, against the target);
 * while it runs, the live item counts of the status.
 */
function Groups({ view }) {
  const { status } = view;
  if (status.groups === undefined) return null;
  const bars =
    view.report_groups !== null
      ? view.report_groups.map(
          (group) => html`<div class="group" data-group=${group.group}>
            <${Progress}
              label=${group.group === '' ? '(no group)' : group.group}
              value=${group.valid + group.already}
              max=${group.target > 0 ? group.target : group.valid + group.already}
              detail=${`${number(group.valid + group.already)} valid rows / ${group.target > 0 ? `target ${number(group.target)}` : 'no target'}`}
            />
            <p class="group-detail">${reportGroupDetail(group)}</p>
          </div>`,
        )
      : status.groups.map(
          (group) => html`<div class="group" data-group=${group.group}>
            <${Progress}
              label=${group.group === '' ? '(no group)' : group.group}
              value=${group.valid_answers}
              max=${group.target > 0 ? group.target : group.items}
              detail=${`${number(group.valid_answers)} valid answers / ${group.target > 0 ? `target ${number(group.target)}` : `${number(group.items)} items`}`}
            />
            <p class="group-detail">${groupDetail(group)}</p>
          </div>`,
        );
  return html`<section aria-labelledby="groups-title">
    <h2 id="groups-title">Groups</h2>
    ${bars}
  </section>`;
}

/**
 * A data job's prompts: each one's answers against its items (live from the store), the ones that failed their check
 * or the provider in the failure colour, with a link to those items.
 */
function Prompts({ jobId, prompts }) {
  if (prompts === undefined) return null;
  const items = (prompt, filter) =>
    `/jobs/${encodeURIComponent(jobId)}/items?${new URLSearchParams({ prompt: prompt.prompt, ...filter })}`;
  return html`<section aria-labelledby="prompts-title">
    <h2 id="prompts-title">Prompts</h2>
    ${prompts.map((prompt) => {
      const notValid = Object.entries(prompt.checks).filter(([status]) => status !== 'valid' && status !== 'repaired');
      const bad = notValid.reduce((sum, [, n]) => sum + n, 0) + prompt.failed;
      return html`<div class="group" data-prompt=${prompt.prompt}>
        <${Progress}
          label=${prompt.prompt}
          value=${prompt.valid + bad}
          failed=${bad}
          max=${prompt.items}
          detail=${`${number(prompt.valid)} valid / ${number(prompt.items)} items`}
        />
        <p class="group-detail">
          ${`pass rate ${share(prompt.pass_rate)} · ${number(prompt.open)} open · ${number(prompt.failed)} failed · ${number(prompt.missing)} not sent`}
          ${notValid.map(([status, n]) => html` · <${Link} href=${items(prompt, { check: status })}>${`${number(n)} ${status}`}<//>`)}
          ${' · '}<${Link} href=${items(prompt, {})}>${'its items'}<//>
        </p>
      </div>`;
    })}
  </section>`;
}

const reportGroupDetail = (group) =>
  `${group.state}${group.shortfall > 0 ? `, ${number(group.shortfall)} short` : ''} · pass rate ` +
  `${share(group.pass_rate)} · ${number(group.skipped_rows)} rows not needed`;

/** Re-renders its component every `everyMs`, for what counts down between pushes. */
function useNow(everyMs) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Batch mode: each chunk with its remote batch, its counts, and how long the provider gives it before it expires. */
function Chunks({ chunks }) {
  const now = useNow(1000);
  if (chunks === undefined) return null;
  const countdown = (chunk) => {
    if (chunk.expires_at === null) return '–';
    const left = (Date.parse(chunk.expires_at) - now) / 1000;
    return left <= 0 ? 'expired' : `in ${seconds(left)}`;
  };
  return html`<section aria-labelledby="chunks-title">
    <h2 id="chunks-title">Provider batches</h2>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Chunk</th>
            <th scope="col">Items</th>
            <th scope="col">Batch</th>
            <th scope="col">Done / failed</th>
            <th scope="col">Submitted</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          ${chunks.map(
            (chunk) => html`<tr>
              <td>${chunk.shown_as}</td>
              <td>${number(chunk.items)}</td>
              <td><code>${chunk.batch_id ?? '(not submitted)'}</code></td>
              <td>${chunk.request_counts === null ? '–' : `${number(chunk.request_counts.completed)} / ${number(chunk.request_counts.failed)}`}</td>
              <td>${chunk.submitted_at === null ? '–' : chunk.submitted_at.replace('T', ' ').slice(0, 19)}</td>
              <td data-expires=${chunk.expires_at ?? ''}>${countdown(chunk)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

const sinkLine = (sink) =>
  `${sink.name}: ${number(sink.rows_written)} rows in ${number(sink.batches)} batches` +
  `${sink.lag_rows === null ? '' : `, ${number(sink.lag_rows)} rows behind`}` +
  `${sink.pending_batches > 0 ? `, ${number(sink.pending_batches)} batches being written` : ''}` +
  `${sink.last_batch_age_s === null ? '' : `, last batch ${seconds(sink.last_batch_age_s)} ago`}`;

// Lines of text with figures in them are built as one string: htm drops whitespace that holds a line break.
const groupDetail = (group) =>
  `${number(group.open)} open · pass rate ${group.succeeded > 0 ? `${percent(group.valid_answers, group.succeeded)}%` : '–'}` +
  ` · ${number(group.failed)} failed · ETA ${group.eta === 'estimated' ? seconds(group.eta_s) : group.eta}`;
const usageLine = (data) =>
  `${number(data.tokens.input)} input and ${number(data.tokens.output)} output tokens over ${number(data.attempts)} attempts`;

function JobPage({ jobId }) {
  const { data, error } = useStream({ view: 'job', job: jobId });
  if (data === null)
    return html`<main>
      <h1>${jobId}</h1>
      <${Failure} error=${error} />
      ${error === null ? html`<p class="loading">Loading…</p>` : null}
    </main>`;
  const { summary, status } = data;
  const counts = status.counts;
  return html`<main>
    <${Crumbs} trail=${[
      ['Jobs', '/'],
      [jobId, null],
    ]} />
    <h1>${jobId} <${StateBadge} state=${summary.state} /></h1>
    <${Failure} error=${error} />
    <p class="summary">
      ${`${summary.mode} · ${summary.provider} ${summary.model ?? ''} · rate ${rateOf(summary)} · ETA ${seconds(summary.eta_s)}`}
    </p>
    <section aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      <${Progress} label="Items done" value=${summary.done} failed=${counts.failed} max=${counts.total} />
      <dl class="counts" data-testid="counts">
        <div>
          <dt>Succeeded</dt>
          <dd data-count="succeeded">${number(counts.succeeded)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd data-count="failed">${number(counts.failed)}</dd>
        </div>
        <div>
          <dt>Missing</dt>
          <dd data-count="missing">${number(counts.missing)}</dd>
        </div>
        ${
          status.skipped === undefined
            ? null
            : html`<div>
              <dt>Not needed</dt>
              <dd data-count="skipped">${number(status.skipped)}</dd>
            </div>`
        }
        <div>
          <dt>Pending</dt>
          <dd data-count="pending">${number(counts.pending)}</dd>
        </div>
        <div>
          <dt>Waiting to retry</dt>
          <dd data-count="retry_wait">${number(counts.retry_wait)}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd data-count="total">${number(counts.total)}${status.input_fully_read ? '' : '+'}</dd>
        </div>
        ${
          status.left_out_by_limit > 0
            ? html`<div>
              <dt>Left out by --limit (in Missing, not in Total)</dt>
              <dd data-count="left_out_by_limit">${number(status.left_out_by_limit)}</dd>
            </div>`
            : null
        }
      </dl>
      <p><${Link} href=${`/jobs/${encodeURIComponent(jobId)}/items`}>Browse the items<//></p>
    </section>
    <${Actions} jobId=${jobId} view=${data} />
    <${HistoryCharts} view=${data} />
    <${Prompts} jobId=${jobId} prompts=${status.prompts} />
    <${Groups} view=${data} />
    <section aria-labelledby="cost-title">
      <h2 id="cost-title">Cost</h2>
      ${
        summary.budget_usd > 0
          ? html`<${Progress}
              label="Spent of the budget"
              value=${summary.cost_usd ?? 0}
              max=${summary.budget_usd}
              detail=${`${usd(summary.cost_usd)} of ${usd(summary.budget_usd)}`}
            />`
          : html`<p>${`${usd(summary.cost_usd)} spent (no budget set); forecast for the whole job ${usd(data.forecast_usd)}`}</p>`
      }
      <p>
        ${usageLine(data)}
      </p>
    </section>
    <div class="two-columns">
      <${Histogram} title="Failed attempts by cause (retried or final)" counts=${data.failures} />
      <${Histogram} title="Answers by check" counts=${data.checks} tone="neutral" />
    </div>
    <${Chunks} chunks=${status.chunks} />
    ${
      status.sinks === undefined
        ? null
        : html`<section aria-labelledby="sinks-title">
            <h2 id="sinks-title">Sinks</h2>
            <ul>
              ${status.sinks.map((sink) => html`<li data-sink=${sink.name}>${sinkLine(sink)}</li>`)}
            </ul>
          </section>`
    }
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      <ul class="files">
        ${Object.entries(data.files).map(
          ([name, path]) => html`<li><a href=${fileHref(jobId, name)} download>${name}</a> <code>${path}</code></li>`,
        )}
      </ul>
    </section>
    <details>
      <summary>Configuration</summary>
      <pre>${JSON.stringify(status.config, null, 2)}</pre>
    </details>
  </main>`;
}

const ITEM_STATES = ['', 'pending', 'in_flight', 'retry_wait', 'succeeded', 'failed', 'cancelled'];
const ITEM_FILTERS = ['state', 'prompt', 'group', 'error', 'check', 'attempts', 'q'];

function ItemsPage({ jobId, query }) {
  const filters = Object.fromEntries(ITEM_FILTERS.map((name) => [name, query.get(name) ?? '']));
  const after = query.get('after') ?? '-1';
  const params = new URLSearchParams({ ...filters, after, limit: '50' });
  for (const name of ITEM_FILTERS) if (filters[name] === '') params.delete(name);
  const { data, error } = useApi(`/api/jobs/${encodeURIComponent(jobId)}/items?${params}`);
  const base = `/jobs/${encodeURIComponent(jobId)}/items`;
  const go = (next) => {
    const search = new URLSearchParams(next);
    for (const [name, value] of [...search]) if (value === '') search.delete(name);
    navigate(`${base}?${search}`);
  };
  const onSubmit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    go(Object.fromEntries(ITEM_FILTERS.map((name) => [name, String(form.get(name) ?? '')])));
  };
  return html`<main>
    <${Crumbs} trail=${[
      ['Jobs', '/'],
      [jobId, `/jobs/${encodeURIComponent(jobId)}`],
      ['items', null],
    ]} />
    <h1>Items of ${jobId}</h1>
    <form class="filters" onSubmit=${onSubmit}>
      <label
        >State
        <select name="state" value=${filters.state}>
          ${ITEM_STATES.map((value) => html`<option value=${value}>${value === '' ? 'any' : value}</option>`)}
        </select>
      </label>
      <label>Prompt <input name="prompt" value=${filters.prompt} size="10" /></label>
      <label>Group <input name="group" value=${filters.group} size="10" /></label>
      <label>Error code <input name="error" value=${filters.error} placeholder="http_500" size="10" /></label>
      <label>Check <input name="check" value=${filters.check} placeholder="invalid" size="8" /></label>
      <label
        >Attempts at least <input name="attempts" type="number" min="0" value=${filters.attempts} size="3"
      /></label>
      <label>custom_id contains <input name="q" type="search" value=${filters.q} size="14" /></label>
      <button type="submit">Filter</button>
    </form>
    <${Failure} error=${error} />
    ${
      data === null
        ? error === null
          ? html`<p class="loading">Loading…</p>`
          : null
        : html`<p class="count">${number(data.total)}${data.total_capped ? '+' : ''} items match</p>
            <div class="table-wrap">
              <table class="items">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">custom_id</th>
                    <th scope="col">State</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Status</th>
                    <th scope="col">Error</th>
                    <th scope="col">Check</th>
                    <th scope="col">Prompt</th>
                    <th scope="col">Group</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.items.map(
                    (item) =>
                      html`<tr data-seq=${item.seq}>
                        <td>${item.seq}</td>
                        <td><${Link} href=${`${base}/${item.seq}`}>${item.custom_id}<//></td>
                        <td><${StateBadge} state=${item.state} /></td>
                        <td>${item.attempts}${item.reasks > 0 ? ` (${count(item.reasks, 're-ask')})` : ''}</td>
                        <td>${item.status_code ?? '–'}</td>
                        <td>${item.error_code ?? ''}</td>
                        <td>${item.check_status ?? ''}</td>
                        <td>${item.prompt ?? ''}</td>
                        <td>${item.group ?? ''}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages of items">
              <button disabled=${after === '-1'} onClick=${() => go({ ...filters })}>First page</button>
              <button
                disabled=${data.next_after === null}
                onClick=${() => go({ ...filters, after: String(data.next_after) })}
              >
                Next page
              </button>
            </nav>`
    }
  </main>`;
}

/** Why an item has no answer to show. */
function noAnswer(item) {
  if (item.state === 'failed') return 'No answer: it failed (see the error above).';
  if (item.state === 'cancelled') return `Not answered: ${item.missing_reason ?? 'cancelled'}.`;
  return 'No answer yet.';
}

/** Pretty JSON when the text is JSON, the text as it is otherwise. */
function pretty(text) {
  if (text === null) return null;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function ItemPage({ jobId, seq }) {
  const { data, error } = useApi(`/api/jobs/${encodeURIComponent(jobId)}/items/${seq}`);
  const itemsHref = `/jobs/${encodeURIComponent(jobId)}/items`;
  const crumbs = html`<${Crumbs}
    trail=${[
      ['Jobs', '/'],
      [jobId, `/jobs/${encodeURIComponent(jobId)}`],
      ['items', itemsHref],
      [seq, null],
    ]}
  />`;
  if (data === null) return html`<main>${crumbs}<${Failure} error=${error} /></main>`;
  const { item } = data;
  return html`<main>
    ${crumbs}
    <h1>${item.custom_id} <${StateBadge} state=${item.state} /></h1>
    <p class="summary">
      ${`line ${item.line_no} · ${count(item.attempts, 'attempt')}${item.reasks > 0 ? ` · ${count(item.reasks, 're-ask')}` : ''}${item.prompt === null ? '' : ` · prompt ${item.prompt}`}${item.group === null ? '' : ` · group ${item.group}`}${item.missing_reason === null ? '' : ` · ${item.missing_reason}`}`}
    </p>
    ${data.error === null ? null : html`<p class="failure" role="status">${data.error.code}: ${data.error.message}</p>`}
    <div class="side-by-side">
      <section aria-labelledby="request-title">
        <h2 id="request-title">Request</h2>
        ${
          data.request === null
            ? html`<p class="none">Not readable: ${data.request_unreadable ?? 'not kept'}</p>`
            : html`<pre data-testid="request">${pretty(data.request)}</pre>`
        }
      </section>
      <section aria-labelledby="answer-title">
        <h2 id="answer-title">Answer</h2>
        ${
          data.answer === null
            ? data.error?.body !== undefined
              ? html`<p class="none">What the endpoint sent back (the start of it):</p>
                  <pre data-testid="error-body">${pretty(data.error.body)}</pre>`
              : html`<p class="none">${noAnswer(data.item)}</p>`
            : html`<pre data-testid="answer">${pretty(data.answer)}</pre>
                ${data.answer_bytes > data.answer.length ? html`<p class="none">Shown in part (${number(data.answer_bytes)} bytes).</p>` : null}`
        }
      </section>
      <section aria-labelledby="parsed-title">
        <h2 id="parsed-title">Parsed and checked</h2>
        ${
          data.check === null
            ? html`<p class="none">Not checked.</p>`
            : html`<p>Check: <span class=${`badge check-${data.check.status}`}>${data.check.status}</span></p>
                ${data.check.value === undefined ? null : html`<pre data-testid="parsed">${JSON.stringify(data.check.value, null, 2)}</pre>`}
                ${
                  data.check.issues.length === 0
                    ? null
                    : html`<ul class="issues" data-testid="issues">
                        ${data.check.issues.map((issue) => html`<li><code>${issue.path || '/'}</code> ${issue.message}</li>`)}
                      </ul>`
                }`
        }
      </section>
    </div>
    <section aria-labelledby="attempts-title">
      <h2 id="attempts-title">Attempts</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Started</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
              <th scope="col">Latency</th>
              <th scope="col">Tokens in / out</th>
              <th scope="col">Re-ask</th>
              <th scope="col">Check</th>
            </tr>
          </thead>
          <tbody>
            ${data.attempts.map(
              (attempt) =>
                html`<tr>
                  <td>${attempt.attempt}</td>
                  <td>
                    <time datetime=${attempt.started_at}>${attempt.started_at.replace('T', ' ').slice(0, 23)}</time>
                  </td>
                  <td>${attempt.outcome}</td>
                  <td>${attempt.status_code ?? '–'}</td>
                  <td>${attempt.latency_ms} ms</td>
                  <td>${number(attempt.input_tokens)} / ${number(attempt.output_tokens)}</td>
                  <td>${attempt.reask ?? '–'}</td>
                  <td>${attempt.check_status ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
  </main>`;
}

function App() {
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (parts[0] === 'jobs' && parts.length === 2) page = html`<${JobPage} jobId=${parts[1]} />`;
  else if (parts[0] === 'jobs' && parts[2] === 'items' && parts.length === 3)
    page = html`<${ItemsPage} jobId=${parts[1]} query=${query} />`;
  else if (parts[0] === 'jobs' && parts[2] === 'items' && parts.length === 4)
    page = html`<${ItemPage} jobId=${parts[1]} seq=${parts[3]} />`;
  else page = html`<${JobsPage} query=${query} />`;
  return html`<header class="top"><${Link} href="/" class="brand">batchpilot<//></header>
    ${page}`;
}

const root = document.getElementById('app');
// The page's placeholder goes: Preact renders into an empty element.
root.textContent = '';

function renderApp() {
  // Keyed by the URL: a new page mounts afresh, so its streams and reads start over.
  render(html`<${App} key=${location.pathname + location.search} />`, root);
}

addEventListener('popstate', renderApp);

// A dashboard with a token, opened without it (a bookmark, a link copied without its #token): say so, rather than
// pages whose streams fail without a word.
api('/api/jobs?limit=1').then(renderApp, (error) => {
  render(
    html`<header class="top"><span class="brand">batchpilot</span></header>
      <main><h1>Dashboard</h1><${Failure} error=${error.message} /></main>`,
    root,
  );
});
