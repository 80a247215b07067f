import { describe, expect, it } from 'vitest';
import { LaneCommitter } from './lane-committer.js';

function deferredCommits() {
  const calls: [string, string][] = [];
  const releases: (() => void)[] = [];
  const commit = (lane: string, position: string) => {
    calls.push([lane, position]);
    return new Promise<void>((resolve) => releases.push(resolve));
  };
  return { calls, releases, commit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LaneCommitter', () => {
  it('coalesces positions submitted during a commit into one commit of the newest', async () => {
    const { calls, releases, commit } = deferredCommits();
    const committer = new LaneCommitter(commit);
    committer.submit('p0', '10');
    committer.submit('p0', '20');
    committer.submit('p0', '30');
    expect(calls).toEqual([['p0', '10']]);
    releases.shift()!();
    await tick();
    expect(calls).toEqual([
      ['p0', '10'],
      ['p0', '30'],
    ]);
    releases.shift()!();
    await committer.flush();
    expect(calls).toHaveLength(2);
  });

  it('commits lanes independently and flushes only the lanes asked for', async () => {
    const { calls, releases, commit } = deferredCommits();
    const committer = new LaneCommitter(commit);
    committer.submit('p0', '1');
    committer.submit('p1', '2');
    expect(calls).toEqual([
      ['p0', '1'],
      ['p1', '2'],
    ]);
    let flushed = false;
    const flushing = committer.flush(['p1']).then(() => (flushed = true));
    releases[0]!();
    await tick();
    expect(flushed).toBe(false);
    releases[1]!();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('goes on after a failed commit', async () => {
    let fail = true;
    const calls: string[] = [];
    const committer = new LaneCommitter((_lane, position) => {
      calls.push(position);
      if (fail) {
        fail = false;
        return Promise.reject(new Error('lost'));
      }
      return Promise.resolve();
    });
    committer.submit('p0', '1');
    await committer.flush();
    committer.submit('p0', '2');
    await committer.flush();
    expect(calls).toEqual(['1', '2']);
  });
});
