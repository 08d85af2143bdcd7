/** The /mpi grammar. Surfaces and the dispatcher import from here (or from parse.ts). */
export { auditText, parseCommand, redactCommandText, trimCommandText, usageText } from './parse.ts';
export type { Command, CommandLimits, ParseResult, Verb } from './types.ts';
