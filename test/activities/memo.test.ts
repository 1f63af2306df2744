import { memoize } from '../../activities/memo';

describe('memoize (directory lookups)', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => (clock = 1_000));

  it('shares one lookup between concurrent and later calls until its time to live runs out', async () => {
    const load = jest.fn(async (key: string) => `${key}@${clock}`);
    const lookup = memoize(load, { ttlMs: 100, now });
    const [a, b] = await Promise.all([lookup('bob'), lookup('bob')]);
    expect([a, b]).toEqual(['bob@1000', 'bob@1000']);
    clock += 99;
    expect(await lookup('bob')).toBe('bob@1000');
    expect(load).toHaveBeenCalledTimes(1);
    clock += 1;
    expect(await lookup('bob')).toBe('bob@1100');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps some answers for less time (a miss), never longer than the time to live', async () => {
    const load = jest.fn(async (key: string) => (key === 'nobody' ? null : key));
    const lookup = memoize(load, { ttlMs: 100, ttlFor: (v) => (v === null ? 10 : 1_000), now });
    await lookup('nobody');
    await lookup('bob');
    clock += 10;
    await lookup('nobody');
    await lookup('bob');
    expect(load.mock.calls.map(([k]) => k)).toEqual(['nobody', 'bob', 'nobody']);
    clock += 90;
    await lookup('bob');
    expect(load).toHaveBeenCalledTimes(4);
  });

  it('never remembers a failure: the next call asks again', async () => {
    let down = true;
    const load = jest.fn(async (key: string) => {
      if (down) throw new Error('vendor down');
      return key;
    });
    const lookup = memoize(load, { ttlMs: 100, now });
    await expect(lookup('bob')).rejects.toThrow('vendor down');
    down = false;
    expect(await lookup('bob')).toBe('bob');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('drops the oldest entry past max keys', async () => {
    const load = jest.fn(async (key: string) => key);
    const lookup = memoize(load, { ttlMs: 100, max: 2, now });
    await lookup('a');
    await lookup('b');
    await lookup('c');
    await lookup('b');
    await lookup('a');
    expect(load.mock.calls.map(([k]) => k)).toEqual(['a', 'b', 'c', 'a']);
  });
});
