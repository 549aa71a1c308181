// The relay's log format: JSON for log shippers in production, readable in a terminal.
import { describe, expect, it } from 'vitest';
import { createRelayLogger, readRelayLogFormat } from '../../relay/log';

describe('relay log format', () => {
  it('is JSON in production and when no one is watching, readable in a terminal; RELAY_LOG_FORMAT wins', () => {
    expect(readRelayLogFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(readRelayLogFormat({}, false)).toBe('json');
    expect(readRelayLogFormat({}, true)).toBe('text');
    expect(readRelayLogFormat({ NODE_ENV: 'production', RELAY_LOG_FORMAT: 'text' }, false)).toBe('text');
    expect(readRelayLogFormat({ RELAY_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(() => readRelayLogFormat({ RELAY_LOG_FORMAT: 'xml' })).toThrow(
      'RELAY_LOG_FORMAT must be "json" or "text" (got "xml")',
    );
  });

  it('writes one JSON object per line with level, ISO time, service and fields', () => {
    const lines: string[] = [];
    createRelayLogger('json', (line) => lines.push(line)).warn({ row: '7', attempt: 2 }, 'publish failed');
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    const record = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'warn', service: 'relay', row: '7', attempt: 2, msg: 'publish failed' });
    expect(new Date(record.time as string).toISOString()).toBe(record.time);
  });

  it('writes a readable line in text mode', () => {
    const lines: string[] = [];
    createRelayLogger('text', (line) => lines.push(line)).info({ rows: 3 }, 'delivered');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: \[relay\] delivered \{"rows":3\}\n$/);
  });
});
