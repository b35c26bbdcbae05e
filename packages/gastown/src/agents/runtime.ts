// Agent runtimes: the program an agent's session runs. Claude Code by default; any command by
// configuration (town.json `runtimes`); the built-in `scripted` agent, which needs no LLM. GT_RUNTIME in the
// environment overrides every role's.
import { existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { BeadsError } from '@gastown/beads';
import type { Role, Runtime, RuntimeCommand, Tools, Town } from '../model.js';

export const PRIME_PROMPT = 'You are an agent of a Gas Town. Run `gt prime` and do what it says.';

export const BUILTIN_RUNTIMES: Record<string, RuntimeCommand> = {
  claude: { run: 'claude --dangerously-skip-permissions', resume: '--resume {id}' },
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
  const entry = runtimeCommand(town.config.runtimes?.commands, name) ?? runtimeCommand(BUILTIN_RUNTIMES, name);
  if (!entry) {
    const known = ['scripted', ...Object.keys(BUILTIN_RUNTIMES), ...Object.keys(town.config.runtimes?.commands ?? {})];
    throw new BeadsError('invalid_input', `unknown runtime ${JSON.stringify(name)}${process.env.GT_RUNTIME === name ? ' (from GT_RUNTIME)' : ''}: runtimes are ${known.join(', ')}; add others under "runtimes.commands" in town.json`, { runtime: name });
  }
  const configured = entry.run.trim();
  const program = configured.split(/\s+/)[0]!;
  if (!onPath(program)) {
    throw new BeadsError('missing_tool', `runtime ${name} runs ${program}, which is not installed (not on PATH); install it, or choose another runtime (--runtime scripted, GT_RUNTIME, or "runtimes" in town.json)`, { runtime: name, program });
  }
  const claude = name === 'claude';
  return { name, command: commandLine(configured, claude), claude, ...(entry.resume ? { resume: entry.resume, base: configured } : {}) };
}

/** Claude is given its first prompt after its arguments; other runtimes are primed by their hook or by hand. */
const commandLine = (base: string, claude: boolean, args = ''): string => [base, args, claude ? shellQuote(PRIME_PROMPT) : ''].filter(Boolean).join(' ');

/** A runtime's entry in a table: a command line, or {run, resume}; own keys only (constructor is every object's, not a runtime). */
function runtimeCommand(table: Record<string, string | RuntimeCommand> | undefined, name: string): RuntimeCommand | undefined {
  if (!table || !Object.hasOwn(table, name)) return undefined;
  const value: unknown = table[name];
  const where = `runtimes.commands.${name} in town.json`;
  if (typeof value === 'string') {
    if (!value.trim()) throw new BeadsError('invalid_input', `${where} is an empty command line`, { runtime: name });
    return { run: value };
  }
  const o = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (typeof o.run !== 'string' || !o.run.trim()) throw new BeadsError('invalid_input', `${where} must be a command line or {"run": "<command line>", "resume": "--resume {id}"}`, { runtime: name });
  if (o.resume !== undefined && (typeof o.resume !== 'string' || !o.resume.includes('{id}'))) {
    throw new BeadsError('invalid_input', `${where}: "resume" must be the arguments that resume a conversation, with {id} for its id (such as "--resume {id}")`, { runtime: name });
  }
  return { run: o.run, ...(typeof o.resume === 'string' ? { resume: o.resume } : {}) };
}

/** The runtime's command that resumes conversation `id`; the runtime itself when it cannot resume one. */
export function resumeRuntime(runtime: Runtime, id: string): Runtime {
  if (!runtime.resume || !runtime.base) return runtime;
  return { ...runtime, command: commandLine(runtime.base, runtime.claude, runtime.resume.split('{id}').join(shellQuote(id))), resumes: id };
}

function onPath(program: string): boolean {
  const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();
  if (program.includes('/')) return isFile(isAbsolute(program) ? program : join(process.cwd(), program));
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isFile(join(dir, program)));
}
