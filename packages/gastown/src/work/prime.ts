// gt prime: what an agent needs to know when its session starts: who it is, its role's prompt, the bead on
// its hook with its molecule's checklist and current step, its unread mail, and the handoff note its
// previous session left.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent, Town } from '../model.js';
import { inbox, type MailItem } from './mail.js';
import { hookedWork, type HookedWork } from './hook.js';

export const HANDOFF_SUBJECT = 'handoff';

export interface Prime {
  agent: string;
  role: string;
  rig: string | null;
  town: string;
  cwd: string;
  prompt: string;
  hooked: HookedWork | null;
  mail: MailItem[];
  handoff: MailItem | null;
}

/** templates/roles, found by walking up from this module (in dist, or beside a bundle). */
export function rolesDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates', 'roles');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function primeAgent(town: Town, agent: Agent): Prime {
  const dir = rolesDir();
  const file = dir ? join(dir, `${agent.role}.md`) : undefined;
  const prompt = file && existsSync(file) ? readFileSync(file, 'utf8') : `You are the ${agent.role}.`;
  const mail = inbox(town, agent.address);
  // The newest handoff note this agent left itself and has not acknowledged.
  const handoff = [...mail].reverse().find((m) => m.subject === HANDOFF_SUBJECT && m.from === agent.address) ?? null;
  return {
    agent: agent.address,
    role: agent.role,
    rig: agent.rig ?? null,
    town: town.config.name,
    cwd: agent.cwd,
    prompt,
    hooked: hookedWork(agent),
    mail: mail.filter((m) => m !== handoff && !m.read),
    handoff,
  };
}

export function renderPrime(p: Prime): string {
  const lines = [`You are ${p.agent}, the ${p.role}${p.rig ? ` of rig ${p.rig}` : ''} in town ${p.town}. Your directory: ${p.cwd}`, '', p.prompt.trim(), ''];
  if (p.handoff) lines.push(`Handoff note from your previous session (${p.handoff.id}, acknowledge it with gt mail ack ${p.handoff.id}):`, p.handoff.body, '');
  if (p.hooked) {
    const { bead, molecule, step } = p.hooked;
    lines.push(`On your hook: ${bead.id} ${bead.title}`);
    if (bead.description) lines.push(bead.description);
    if (molecule) {
      lines.push('', `Molecule ${molecule.molecule} (${molecule.id}): ${molecule.done}/${molecule.total} steps closed`);
      const walk = (steps: typeof molecule.steps, depth: number): void => {
        for (const s of steps) {
          lines.push(`${'  '.repeat(depth)}[${s.status === 'closed' ? 'x' : ' '}] ${s.step} (${s.id})${s.id === step?.id ? '  <- current' : ''}`);
          walk(s.children, depth + 1);
        }
      };
      walk(molecule.steps, 1);
      if (step) lines.push('', `Next: bd show ${step.id}, do it, then bd close ${step.id}. When every step is closed: gt done.`);
    }
  } else lines.push('Nothing is on your hook.');
  lines.push('', p.mail.length ? `Unread mail (${p.mail.length}):` : 'No unread mail.');
  for (const m of p.mail) lines.push(`  ${m.id} from ${m.from}: ${m.subject}`);
  return lines.join('\n');
}
