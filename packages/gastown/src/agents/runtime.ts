// Agent runtimes: the program an agent's session runs. Claude Code by default; any command by
// configuration (town.json `runtimes`); the built-in `scripted` agent, which needs no LLM. GT_RUNTIME in the
// environment overrides every role's.
import { existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import type { Role, Runtime, Tools, Town } from '../model.js';

export const PRIME_PROMPT = 'You are an agent of a Gas Town. Run `gt prime` and do what it says.';

export const BUILTIN_RUNTIMES: Record<string, string> = {
  claude: 'claude --dangerously-skip-permissions',
};

export const shellQuote = (s: string): string => (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Which runtime an agent of this role runs: --runtime, else GT_RUNTIME, else the one it was given before (a
 * polecat resumed by gt up runs what it was slung with), else the town's config, else claude.
 */
export function runtimeName(town: Town, role: Role, override?: string, previous?: string): string {
  return override || process.env.GT_RUNTIME || previous || town.config.runtimes?.roles?.[role] || town.config.runtimes?.default || 'claude';
}

export function resolveRuntime(town: Town, role: Role, tools: Tools, override?: string, previous?: string): Runtime {
  const name = runtimeName(town, role, override, previous);
  if (name === 'scripted') return { name, command: [tools.node, tools.gt, 'scripted-agent'].map(shellQuote).join(' '), claude: false };
  // own keys only: a name such as constructor is every object's, not a runtime
  const own = (table: Record<string, string> | undefined): string | undefined => (table && Object.hasOwn(table, name) && typeof table[name] === 'string' ? table[name] : undefined);
  const configured = own(town.config.runtimes?.commands) ?? own(BUILTIN_RUNTIMES);
  if (!configured) {
    const known = ['scripted', ...Object.keys(BUILTIN_RUNTIMES), ...Object.keys(town.config.runtimes?.commands ?? {})];
    throw new BeadsError('invalid_input', `unknown runtime ${JSON.stringify(name)}${process.env.GT_RUNTIME === name ? ' (from GT_RUNTIME)' : ''}: runtimes are ${known.join(', ')}; add others under "runtimes.commands" in town.json`, { runtime: name });
  }
  const program = configured.trim().split(/\s+/)[0]!;
  if (!onPath(program)) {
    throw new BeadsError('missing_tool', `runtime ${name} runs ${program}, which is not installed (not on PATH); install it, or choose another runtime (--runtime scripted, GT_RUNTIME, or "runtimes" in town.json)`, { runtime: name, program });
  }
  const claude = name === 'claude';
  return { name, command: claude ? `${configured} ${shellQuote(PRIME_PROMPT)}` : configured, claude };
}

function onPath(program: string): boolean {
  const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();
  if (program.includes('/')) return isFile(isAbsolute(program) ? program : join(process.cwd(), program));
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isFile(join(dir, program)));
}
