// GET /devstack/v1/status: what the app's /status page shows, checked live.
import { describe, expect, it } from 'vitest';
import type { StackHealthReport } from '../src/status-service';
import { stack } from '../src/testing/realtime';

describe('the dev stack status report', () => {
  it('reports the database and a live check of auth, REST and Realtime', async () => {
    const res = await fetch(`${stack().apiUrl}/devstack/v1/status`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as StackHealthReport;
    expect(report.database.serverVersion).toBe(stack().serverVersion);
    expect(report.database.migrationsApplied).toBeGreaterThan(0);
    expect(report.database.demoAccounts).toContain('dispatcher.north@example.com');
    expect(report.services.auth).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(report.services.rest).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(report.services.realtime.ok).toBe(true);
    expect(report.services.realtime.detail).toMatch(/^channel joined in \d+ ms$/);
  });

  it('answers 404 for anything but GET /status', async () => {
    expect((await fetch(`${stack().apiUrl}/devstack/v1/other`)).status).toBe(404);
    expect((await fetch(`${stack().apiUrl}/devstack/v1/status`, { method: 'POST' })).status).toBe(404);
  });
});
