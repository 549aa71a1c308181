// npm run test:load — the load/soak test (see tests/load/load.ts).
//   default (long form): 1,000 clients, 10 depots, 300 s, 200 changes/s
//   LOAD_SHORT=1 or --short (CI): 200 clients, 5 depots, 30 s, 100 changes/s
//   overrides: --clients N --depots N --duration S --rate R --shipments N --max-heap-slope MB_PER_MIN
// Exits 1 on any failure (lost update, seq violation, dropped socket, heap trend).
import { parseArgs } from 'node:util';
import { formatResult, LONG, runLoad, SHORT } from './load';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    clients: { type: 'string' },
    depots: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    shipments: { type: 'string' },
    'max-heap-slope': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'npm run test:load [-- --short] [--clients N] [--depots N] [--duration S] [--rate R] [--shipments N] [--max-heap-slope MB_PER_MIN]',
  );
  process.exit(0);
}
const short = values.short || ['1', 'true'].includes(process.env.LOAD_SHORT ?? '');
const base = short ? SHORT : LONG;
const num = (v: string | undefined, fallback: number, name: string) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number (got "${v}")`);
    process.exit(2);
  }
  return n;
};
const durationS = num(values.duration, base.durationS, 'duration');
const options = {
  ...base,
  clients: Math.round(num(values.clients, base.clients, 'clients')),
  depots: Math.round(num(values.depots, base.depots, 'depots')),
  durationS,
  rate: num(values.rate, base.rate, 'rate'),
  shipmentsPerDepot: Math.round(num(values.shipments, base.shipmentsPerDepot, 'shipments')),
  maxHeapSlopeMbPerMin: num(values['max-heap-slope'], base.maxHeapSlopeMbPerMin, 'max-heap-slope'),
  // At least ~10 samples in the second half, whatever the duration.
  sampleMs: Math.max(500, Math.min(base.sampleMs, (durationS * 1000) / 20)),
};
console.log(
  `Load/soak (${short ? 'short' : 'long'} form): ${options.clients} clients, ${options.depots} depots, ${options.durationS} s at ${options.rate} changes/s`,
);
const result = await runLoad(options);
console.log(formatResult(result));
process.exit(result.ok ? 0 : 1);
