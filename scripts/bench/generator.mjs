// A deterministic generator of operations shaped like a real store's, written as the log's own lines (the
// operation format of packages/beads/src/types.ts, checked by op.schema.json), as a `git pull` would bring them.
let seed = 42;
/** Restarts the generator's random sequence (each clone of the sync benchmark gets its own). */
export const reseed = (n) => {
  seed = n;
};
// mulberry32: a small PRNG that stays in 32-bit integers
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const ALPHA = '0123456789abcdefghjkmnpqrstvwxyz';
const token = (n) => Array.from({ length: n }, () => ALPHA[Math.floor(rnd() * 32)]).join('');
const WORDS = 'store fold merge claim ready blocked agent witness refinery polecat molecule step gate sync clone lock cache index query import export hash log line crash lease mail nudge tmux session queue branch worktree review test docs release'.split(' ');
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const ACTORS = ['alice', 'bob', 'carol', 'polecat-nux', 'polecat-slit'];

/**
 * The busy tracker: an epic, then its 50 children (parent-child), over and over; 30% of beads blocked by one
 * of the ten beads before them; 80% closed (claimed, then closed), and a tenth of the rest claimed (in
 * progress). 30% with labels, half with a second edit, 15% with a comment, descriptions of 20-140 words.
 */
export const BUSY = { epicChildren: 50, blockedShare: 0.3, closedShare: 0.8, claimedShare: 0.1 };

export class Generator {
  constructor(prefix) {
    this.prefix = prefix;
    this.lc = 0;
    this.t = Date.parse('2026-01-01T00:00:00Z');
    this.ids = [];
    /** Beads left open and unclaimed: what the benchmark closes and what foreign edits touch. */
    this.open = [];
    this.epic = null;
  }

  op(bead, kind, extra, origin) {
    this.t += 1000 + Math.floor(rnd() * 60000);
    return JSON.stringify({ op_id: token(16), bead, ...(origin ? { origin } : {}), kind, actor: pick(ACTORS), ts: new Date(this.t).toISOString(), lc: ++this.lc, ...extra });
  }

  /** Lines for one bead's life: create, some edits, comments, a claim, and for most a close. */
  bead(closedShare = BUSY.closedShare) {
    const id = `${this.prefix}-${token(8)}`;
    const originId = token(16);
    const fields = { title: sentence(4 + Math.floor(rnd() * 6)), description: sentence(20 + Math.floor(rnd() * 120)), priority: Math.floor(rnd() * 5), issue_type: pick(['task', 'task', 'task', 'bug', 'feature', 'chore']) };
    const deps = [];
    const isEpic = this.ids.length % (BUSY.epicChildren + 1) === 0;
    if (isEpic) fields.issue_type = 'epic';
    else deps.push({ depends_on_id: this.epic, type: 'parent-child' });
    if (this.ids.length > 10 && rnd() < BUSY.blockedShare) {
      const recent = this.ids.slice(-10).filter((b) => b !== this.epic);
      deps.push({ depends_on_id: pick(recent), type: 'blocks' });
    }
    if (deps.length) fields.dependencies = deps;
    if (rnd() < 0.3) fields.labels = Array.from(new Set([pick(WORDS), pick(WORDS)]));
    this.t += 1000;
    const lines = [JSON.stringify({ op_id: originId, bead: id, kind: 'create', actor: 'alice', ts: new Date(this.t).toISOString(), lc: ++this.lc, fields })];
    if (rnd() < 0.5) lines.push(this.op(id, 'set', { fields: { notes: sentence(10) } }, originId));
    if (rnd() < 0.15) lines.push(this.op(id, 'comment', { text: sentence(15) }, originId));
    if (isEpic) this.epic = id;
    this.ids.push(id);
    if (rnd() < closedShare) {
      lines.push(this.op(id, 'claim', {}, originId));
      lines.push(this.op(id, 'close', { reason: 'done' }, originId));
    } else if (rnd() < BUSY.claimedShare) lines.push(this.op(id, 'claim', {}, originId));
    else this.open.push({ id, origin: originId });
    return lines;
  }

  /** Lines for n beads. */
  beads(n) {
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(...this.bead());
    return lines;
  }

  /** What another clone's work looks like when it arrives: new beads plus edits of open ones. */
  foreign(count) {
    const lines = [];
    while (lines.length < count) {
      if (rnd() < 0.5 || !this.open.length) lines.push(...this.bead(0.5));
      else {
        const b = pick(this.open);
        lines.push(this.op(b.id, 'set', { fields: { priority: Math.floor(rnd() * 5) } }, b.origin));
      }
    }
    return lines.slice(0, count);
  }

  /** An open, unclaimed bead taken off the list (each `bd close` of the benchmark closes another). */
  takeOpen() {
    const i = Math.floor(rnd() * this.open.length);
    return this.open.splice(i, 1)[0].id;
  }
}
