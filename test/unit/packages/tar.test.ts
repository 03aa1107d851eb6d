import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readTar } from '../../../src/packages/tar.ts';
import { buildTar } from './tar-builder.ts';

describe('readTar', () => {
  test('when a gzipped archive holds files, then they are returned in memory with their names and bytes', () => {
    const entries = readTar(
      buildTar([
        { name: 'package/package.json', body: '{"name":"a"}' },
        { name: 'package/x.json', body: '{}' },
      ]),
    );
    expect(entries.map((e) => [e.name, e.data.toString()])).toEqual([
      ['package/package.json', '{"name":"a"}'],
      ['package/x.json', '{}'],
    ]);
  });

  test('when the archive is not gzipped, then it is read as plain tar', () => {
    expect(readTar(buildTar([{ name: 'a.txt', body: 'hi' }], false)).map((e) => e.name)).toEqual(['a.txt']);
  });

  test('when entries try to escape (../ names, symlinks, directories), then nothing is written and links are ignored', () => {
    const entries = readTar(
      buildTar([
        { name: '../../escape-attempt.json', body: '{}' },
        { name: 'package/link', type: '2' },
        { name: 'package/dir/', type: '5' },
      ]),
    );
    expect(entries.map((e) => e.name)).toEqual(['../../escape-attempt.json']);
    expect(existsSync(resolve(process.cwd(), '../../escape-attempt.json'))).toBe(false);
  });

  test('when a GNU long name or a pax path precedes an entry, then the entry takes that name', () => {
    const long = `package/${'x'.repeat(120)}.json`;
    const entries = readTar(
      buildTar([
        { name: '././@LongLink', type: 'L', body: long },
        { name: 'short', body: '1' },
        { name: 'PaxHeader', type: 'x', body: `${20 + 'package/pax.json'.length} path=package/pax.json\n` },
        { name: 'short2', body: '2' },
      ]),
    );
    expect(entries.map((e) => e.name)).toEqual([long, 'package/pax.json']);
  });

  test('when an entry is truncated, then readTar throws "tar: truncated or corrupt entry"', () => {
    const tar = buildTar([{ name: 'a.json', body: 'x'.repeat(2000) }], false).subarray(0, 1024);
    expect(() => readTar(tar)).toThrow('tar: truncated or corrupt entry');
  });
});
