import { describe, expect, it } from '@jest/globals';
import { EXIT, ioFailure } from './errors.js';

const errno = (code: string, syscall: string, path?: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

describe('ioFailure', () => {
  it('turns an environment failure into one io_error sentence: what failed, where, what to do', () => {
    const missing = ioFailure(errno('ENOENT', 'open', '/repo/.beads/cache/g3/hot.body'), '/repo');
    expect(missing?.message).toBe('cannot read .beads/cache/g3/hot.body: it does not exist (ENOENT); the caches are rebuilt from the log: run bd doctor');
    expect(ioFailure(errno('ENOENT', 'open', '/repo/.beads/config.json'), '/repo')?.message).toBe("cannot read .beads/config.json: it does not exist (ENOENT); restore it (the store's files are in git: git checkout .beads/)");
    expect(missing?.code).toBe('io_error');
    expect(missing?.exitCode).toBe(EXIT.io);
    expect(missing?.toJSON()).toEqual({ error: { code: 'io_error', message: missing!.message, errno: 'ENOENT', syscall: 'open', path: '/repo/.beads/cache/g3/hot.body' } });
    expect(ioFailure(errno('EACCES', 'open', '/repo/.beads/lock.1.ab'), '/repo')?.message).toBe('cannot read .beads/lock.1.ab: permission denied (EACCES); check the owner and permissions of the store (.beads/ and the files in it)');
    expect(ioFailure(errno('EROFS', 'open', '/elsewhere/x'), '/repo')?.message).toMatch(/^cannot write \/elsewhere\/x: the file system is read-only/);
    expect(ioFailure(errno('ENOSPC', 'write'), '/repo', '/repo/.beads')?.message).toBe('cannot write a file in .beads: the disk is full (ENOSPC); free some space and run the command again');
    expect(ioFailure(errno('EPERM', 'rename', '/repo/.beads/ops.jsonl'), '/repo')?.message).toMatch(/^cannot write \.beads\/ops\.jsonl: the operation is not permitted \(EPERM\)/);
  });

  it('leaves anything else to be reported as an internal error', () => {
    expect(ioFailure(new TypeError('x is undefined'))).toBeNull();
    expect(ioFailure(Object.assign(new Error('weird'), { code: 'ERR_SOMETHING' }))).toBeNull();
    expect(ioFailure(Object.assign(new Error('no syscall'), { code: 'ENOENT' }))).toBeNull();
  });
});
