// Pull-request mode (merge: pr), for protected branches: the refinery gates the candidate as usual, pushes it
// to a branch of its own and opens a pull request with the GitHub CLI; it lands the merge request when gh says
// the pull request merged. `gh` is found on PATH (GT_GH names another program).
import { createRequire } from 'node:module';
import { BeadStore, BeadsError } from '@gastown/beads';
import type { MqMeta } from '../model.js';
import type { RigSettings } from '../town/index.js';
import { InfraError, fetchRemote, gitEnv, lastLines, pushOwnBranch } from './git.js';
import { changeMq, type MergeRequest } from './queue.js';

const require = createRequire(import.meta.url);

export interface PrContext {
  clone: string;
  store: BeadStore;
  actor: string;
  log: (line: string) => void;
}

/** Runs gh; a gh that is not there is the town's missing tool (exit 11), never a merge request's fault. */
function gh(ctx: PrContext, args: string[]): { ok: boolean; out: string } {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const program = process.env.GT_GH || 'gh';
  const r = spawnSync(program, args, { cwd: ctx.clone, encoding: 'utf8', env: gitEnv({ GH_PROMPT_DISABLED: '1' }) });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new BeadsError('missing_tool', `merge: pr needs the GitHub CLI, and ${program} is not installed (or not on PATH; GT_GH names another program)`, { tool: program });
    throw new InfraError(`${program}: ${r.error.message}`);
  }
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.status === 0 ? '' : r.stderr ?? ''}`.trim() };
}

export const prBranch = (mr: string): string => `gt/${mr}`;

/** Pushes the gated candidate to the merge request's own branch and opens (or finds) its pull request. */
export function openPullRequest(ctx: PrContext, _settings: RigSettings, m: MergeRequest, candidate: string, target: string, emit: (e: { action: 'pr_opened'; mr: string; detail: string }) => void): void {
  const head = prBranch(m.bead.id);
  pushOwnBranch(ctx.clone, 'origin', head, candidate);
  const found = gh(ctx, ['pr', 'view', head, '--json', 'url,state']);
  let url = '';
  if (found.ok) url = (JSON.parse(found.out) as { url: string }).url;
  else {
    const title = m.bead.title;
    const body = `${m.bead.id}: ${m.meta.source_bead} by ${m.meta.worker}, gated by the Gas Town refinery on tree of ${candidate}.`;
    const created = gh(ctx, ['pr', 'create', '--base', target, '--head', head, '--title', title, '--body', body]);
    if (!created.ok) throw new InfraError(`gh pr create failed: ${lastLines(created.out)}`);
    url = created.out.split('\n').filter(Boolean).pop() ?? '';
  }
  changeMq(ctx.store, ctx.actor, m.bead.id, (cur) => ({ mq: { ...cur.mq, state: 'pr', pr_url: url, reason: `pull request ${url}` } as MqMeta }));
  emit({ action: 'pr_opened', mr: m.bead.id, detail: `pull request ${url} for ${head} into ${target}` });
}

/** Asks gh about an open pull request: merged lands the merge request; closed without merging rejects it. */
export function pollPullRequest(ctx: PrContext, m: MergeRequest, merged: (id: string, commit: string) => void, closed: (id: string, why: string) => void): void {
  const r = gh(ctx, ['pr', 'view', m.mq.pr_url ?? prBranch(m.bead.id), '--json', 'state,mergeCommit']);
  if (!r.ok) return ctx.log(`[refinery] gh pr view ${m.mq.pr_url}: ${r.out}`);
  let pr: { state: string; mergeCommit?: { oid?: string } | null };
  try {
    pr = JSON.parse(r.out) as typeof pr;
  } catch {
    return ctx.log(`[refinery] gh pr view ${m.mq.pr_url} did not answer JSON: ${r.out.slice(0, 200)}`);
  }
  if (pr.state === 'MERGED' && pr.mergeCommit?.oid) {
    fetchRemote(ctx.clone, 'origin');
    merged(m.bead.id, pr.mergeCommit.oid);
  } else if (pr.state === 'CLOSED') closed(m.bead.id, `its pull request ${m.mq.pr_url} was closed without merging`);
}
