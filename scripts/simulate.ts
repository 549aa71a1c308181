// npm run simulate [-- --drivers 3 --rate 1 --duration 120]
// Simulated drivers for demos and load: they sign in as the demo driver accounts
// and use the same public API and realtime channels as the app: advance their
// shipments along the allowed transitions and broadcast positions along a route.
// A simulated dispatcher (dispatcher.hq) keeps work flowing by creating and
// assigning new shipments when a driver runs out.
import { parseArgs } from 'node:util';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { z } from 'zod';
import type { Database } from '../lib/database.types';
import { simulatedRoute } from '../lib/shipments/position-sharing';
import { nextDriverStatus, STATUS_LABEL } from '../lib/shipments/status';
import { publicEnv } from '../lib/supabase/env';

const DRIVER_ACCOUNTS = ['driver.north1@example.com', 'driver.north2@example.com', 'driver.south1@example.com'];
const DISPATCHER = 'dispatcher.hq@example.com';
const PASSWORD = 'password123';

const options = z.object({
  drivers: z.coerce.number().int().min(1).max(DRIVER_ACCOUNTS.length),
  rate: z.coerce.number().positive().max(50),
  duration: z.coerce.number().positive(),
});

const usage = `Usage: npm run simulate -- [--drivers N] [--rate R] [--duration S]

  --drivers   how many demo drivers to simulate (1-${DRIVER_ACCOUNTS.length}, default ${DRIVER_ACCOUNTS.length})
  --rate      status changes per second per driver (default 0.2)
  --duration  seconds to run (default 120; Ctrl-C stops earlier)

Uses NEXT_PUBLIC_SUPABASE_URL and NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY (or the legacy
NEXT_PUBLIC_SUPABASE_ANON_KEY); default: the local dev stack.`;

type Client = SupabaseClient<Database>;

function connect(): Client {
  // The app's own reading of the settings: a malformed or secret key stops here, named.
  const { supabaseUrl, supabaseKey } = publicEnv();
  return createClient<Database>(supabaseUrl, supabaseKey, {
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    auth: { persistSession: false },
  });
}

async function signIn(email: string): Promise<{ client: Client; userId: string }> {
  const client = connect();
  const { data, error } = await client.auth.signInWithPassword({ email, password: PASSWORD });
  if (error)
    throw new Error(`${email}: could not sign in (${error.message}). Is the dev stack running (npm run stack)?`);
  return { client, userId: data.user.id };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      drivers: { type: 'string', default: String(DRIVER_ACCOUNTS.length) },
      rate: { type: 'string', default: '0.2' },
      duration: { type: 'string', default: '120' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(usage);
  const parsed = options.safeParse(values);
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${usage}`);
    process.exit(2);
  }
  const { drivers: driverCount, rate, duration } = parsed.data;
  const dispatcher = await signIn(DISPATCHER);
  const stats = { changes: 0, positions: 0, created: 0, refused: 0 };
  const stopAt = Date.now() + duration * 1000;
  let stopping = false;
  process.on('SIGINT', () => (stopping = true));

  const runDriver = async (email: string) => {
    const { client, userId } = await signIn(email);
    const { data: depots } = await client.from('depots').select('id, name, min_lat, min_lng, max_lat, max_lng');
    const depot = depots?.[0];
    if (!depot) throw new Error(`${email} belongs to no depot`);
    const { data: profile } = await client.from('profiles').select('full_name').eq('id', userId).single();
    const name = profile?.full_name ?? email;
    const live = client.channel(`depot:${depot.id}:live`, { config: { private: true, presence: { key: userId } } });
    await new Promise<void>((resolve, reject) =>
      live.subscribe((status, err) =>
        status === 'SUBSCRIBED' ? resolve() : status === 'CHANNEL_ERROR' ? reject(err) : undefined,
      ),
    );
    await live.track({ user_id: userId, name, role: 'driver', viewing: null, editing: null, online_at: Date.now() });
    const route = simulatedRoute(depot, Math.random() * Math.PI * 2);
    let tick = 0;
    const positionTimer = setInterval(() => {
      const fix = route(tick++);
      void live.send({
        type: 'broadcast',
        event: 'position',
        payload: { driver_id: userId, lat: fix.lat, lng: fix.lng, at: fix.at, shipment_id: null },
      });
      stats.positions += 1;
    }, 1000);

    try {
      while (!stopping && Date.now() < stopAt) {
        await new Promise((r) => setTimeout(r, (1000 / rate) * (0.5 + Math.random())));
        const { data: mine } = await client
          .from('shipments')
          .select('id, reference, status, version')
          .eq('driver_id', userId)
          .in('status', ['assigned', 'picked_up', 'in_transit']);
        if (!mine || mine.length === 0) {
          // Out of work: the dispatcher creates and assigns a new shipment.
          const reference = `SIM-${Date.now().toString(36).toUpperCase()}`;
          const { error } = await dispatcher.client.from('shipments').insert({
            depot_id: depot.id,
            reference,
            recipient: 'Simulated recipient',
            address: 'Simulated address',
            driver_id: userId,
            status: 'assigned',
          });
          if (error) stats.refused += 1;
          else stats.created += 1;
          continue;
        }
        const shipment = mine[Math.floor(Math.random() * mine.length)];
        const next = nextDriverStatus(shipment.status);
        if (!next) continue;
        const { data, error } = await client
          .from('shipments')
          .update({ status: next })
          .eq('id', shipment.id)
          .eq('version', shipment.version)
          .select('id');
        if (error || !data?.length) stats.refused += 1;
        else {
          stats.changes += 1;
          console.log(
            `${new Date().toLocaleTimeString()} ${name.padEnd(14)} ${shipment.reference} → ${STATUS_LABEL[next]}`,
          );
        }
      }
    } finally {
      clearInterval(positionTimer);
      await client.removeAllChannels();
      await client.auth.signOut();
    }
  };

  console.log(`Simulating ${driverCount} driver(s) at ${rate} change/s each for ${duration} s. Ctrl-C to stop.`);
  const progress = setInterval(() => {
    console.log(
      `… ${stats.changes} status changes, ${stats.created} new shipments, ${stats.positions} positions, ${stats.refused} refused`,
    );
  }, 10_000);
  try {
    await Promise.all(DRIVER_ACCOUNTS.slice(0, driverCount).map(runDriver));
  } finally {
    clearInterval(progress);
    await dispatcher.client.auth.signOut();
  }
  console.log(
    `Done: ${stats.changes} status changes, ${stats.created} new shipments, ${stats.positions} positions, ${stats.refused} refused.`,
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
