// Unit tests of the emitters' schema handling; the generated files themselves are checked by
// generate.test.ts and, against real servers, by the client's tests.
import { describe, expect, it } from 'vitest';
import { resp2Shape } from '../src/emit/command-table.js';
import { replyType } from '../src/index.js';

describe('resp2Shape', () => {
  it('follows $ref to an enclosing schema as a path from the top (recursive replies)', () => {
    const schema = {
      type: 'object',
      patternProperties: {
        '^.*$': {
          type: 'object',
          properties: {
            arguments: {
              type: 'array',
              items: {
                type: 'object',
                properties: { arguments: { $ref: '#/patternProperties/^.*$/properties/arguments' } },
              },
            },
            subcommands: { $ref: '#' },
          },
        },
      },
    };
    const args = ['map', 'values', 'map', 'fields', 'arguments'];
    expect(resp2Shape(schema)).toEqual({
      map: {
        values: {
          map: {
            fields: {
              arguments: { array: { map: { fields: { arguments: { ref: args } } } } },
              subcommands: { ref: [] },
            },
          },
        },
      },
    });
  });

  it('converts items past the listed ones (additionalItems)', () => {
    const schema = {
      type: 'array',
      items: [{ type: 'string' }],
      additionalItems: {
        oneOf: [{ type: 'string' }, { type: 'array', items: [{ type: 'number' }, { type: 'number' }] }],
      },
    };
    expect(resp2Shape(schema)).toEqual({
      tuple: [null],
      rest: { union: [{ tuple: ['double', 'double'] }, { keep: 'string' }] },
    });
  });

  it('merges map alternatives (indistinguishable in RESP2) and puts converting alternatives first', () => {
    const summary = { type: 'object', properties: { groups: { type: 'integer' } } };
    const full = {
      type: 'object',
      properties: { groups: { type: 'array', items: { type: 'object', properties: {} } } },
    };
    expect(resp2Shape({ oneOf: [summary, full] })).toEqual({
      map: { fields: { groups: { union: [{ array: { map: {} } }, { keep: 'integer' }] } } },
    });
    expect(resp2Shape({ oneOf: [{ type: 'null' }, { type: 'number' }] })).toEqual({
      union: ['double', { keep: 'null' }],
    });
  });
});

describe('replyType', () => {
  it('types patternProperties as a record of their values', () => {
    expect(replyType({ type: 'object', patternProperties: { '^.*$': { type: 'integer' } } })).toBe(
      'Record<string, number>',
    );
    expect(
      replyType({
        type: 'object',
        additionalProperties: false,
        properties: { a: { type: 'string' } },
        patternProperties: { '^db': { type: 'integer' } },
      }),
    ).toBe('{ "a"?: S } & Record<string, number | S>');
  });

  it('makes tuple items past minItems optional', () => {
    const item = (type: string) => ({ type });
    expect(
      replyType({
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: [item('string'), item('integer'), { oneOf: [item('string'), item('null')] }],
      }),
    ).toBe('[S, number?, (S | null)?]');
  });
});
