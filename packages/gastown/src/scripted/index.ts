// The scripted agent: the runtime that needs no LLM. It is a client of everything below it, as an AI agent
// using gt is.
export { ScriptedAgent, shellBlocks, blocksFor, type CodeBlock } from './agent.js';
