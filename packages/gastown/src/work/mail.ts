// Mail: message beads in the town store (issue_type message, the subject as title, the body as description,
// the recipient as assignee). Reading and acknowledging are separate: `read` marks a message read (it stays in
// the inbox), `ack` closes it, so a message is handled exactly once across restarts. A new message nudges the
// recipient's running session with a short notice, never the body.
import { BeadStore, BeadsError, addLabel, assertNoControl, closeBead, createBead, listBeads, type Bead } from '@gastown/beads';
import { parseAgent, nudgeAgent, townSessions } from '../agents/index.js';
import type { Agent, Town } from '../model.js';
import { townStoreDir } from '../town/index.js';

export interface MailMeta {
  from: string;
  to: string;
  reply_to?: string;
}

export interface MailItem {
  id: string;
  from: string;
  to: string;
  subject: string;
  body: string;
  read: boolean;
  acked: boolean;
  reply_to?: string;
  sent_at: string;
}

export const townStore = (town: Town): BeadStore => BeadStore.open(townStoreDir(town));

function item(bead: Bead): MailItem {
  const meta = (bead.metadata as { mail?: MailMeta } | undefined)?.mail;
  return {
    id: bead.id,
    from: meta?.from ?? bead.created_by ?? '?',
    to: meta?.to ?? bead.assignee ?? '?',
    subject: bead.title,
    body: bead.description ?? '',
    read: (bead.labels ?? []).includes('read'),
    acked: bead.status === 'closed',
    ...(meta?.reply_to ? { reply_to: meta.reply_to } : {}),
    sent_at: bead.created_at,
  };
}

function message(town: Town, id: string): Bead {
  const bead = townStore(town).get(id);
  if (bead.issue_type !== 'message') throw new BeadsError('invalid_input', `${bead.id} is not a message (it is a ${bead.issue_type})`, { id: bead.id });
  return bead;
}

export interface SendResult extends MailItem {
  /** Whether the recipient's running session was told (there may be none). */
  notified: boolean;
}

export function sendMail(town: Town, from: string, to: string, subject: string, body: string, options: { replyTo?: string; notify?: boolean } = {}): SendResult {
  const replyTo = options.replyTo;
  if (!subject.trim()) throw new BeadsError('invalid_input', 'a message needs a subject (-s)');
  assertNoControl(subject, 'subject', 'line'); // a subject is one line of the inbox and of the recipient's nudge
  assertNoControl(body, 'message', 'text');
  const recipient: Agent | null = to === 'overseer' ? null : parseAgent(town, to);
  const address = recipient?.address ?? 'overseer';
  const mail: MailMeta = { from, to: address, ...(replyTo ? { reply_to: replyTo } : {}) };
  const bead = createBead(townStore(town), from, { title: subject, description: body, issue_type: 'message', assignee: address, labels: ['mail'], metadata: { mail } });
  let notified = false;
  if (recipient && options.notify !== false) {
    const info = townSessions(town).get(recipient.session);
    if (info && !info.dead) {
      try {
        nudgeAgent(town, recipient, `[gt mail] new message ${bead.id} from ${from}: run gt mail read ${bead.id}`);
        notified = true;
      } catch {
        /* the message is stored; the notice is a courtesy (the agent sees it in its inbox when it primes) */
      }
    }
  }
  return { ...item(bead), notified };
}

/** Messages to an address not yet acknowledged, oldest first (with `all`, acknowledged ones too). */
export function inbox(town: Town, address: string, options: { all?: boolean } = {}): MailItem[] {
  const beads = listBeads(townStore(town), { issue_type: ['message'], assignee: address, ...(options.all ? { all: true } : {}), limit: 0 });
  return beads.map(item).sort((a, b) => a.sent_at.localeCompare(b.sent_at) || a.id.localeCompare(b.id));
}

/** A message, marked read (it stays in the inbox until acknowledged). */
export function readMail(town: Town, reader: string, id: string): MailItem {
  const bead = message(town, id);
  if ((bead.labels ?? []).includes('read')) return item(bead);
  return item(addLabel(townStore(town), reader, bead.id, 'read'));
}

/** Acknowledges a message: it is handled, and leaves the inbox for good. */
export function ackMail(town: Town, reader: string, id: string): MailItem {
  const bead = message(town, id);
  if (bead.status === 'closed') return item(bead);
  return item(closeBead(townStore(town), reader, bead.id, 'acknowledged'));
}

export function replyMail(town: Town, from: string, id: string, body: string): SendResult {
  const original = item(message(town, id));
  const subject = original.subject.startsWith('Re: ') ? original.subject : `Re: ${original.subject}`;
  return sendMail(town, from, original.from, subject, body, { replyTo: original.id });
}
