'use client';

import type { Depot } from '@/lib/shipments/queries';
import type { DriverPosition, Shipment } from '@/lib/shipments/schema';

interface Props {
  depot: Depot;
  shipments: Shipment[];
  positions: Record<string, DriverPosition>;
  driverNames: Map<string, string>;
}

const WIDTH = 320;
const HEIGHT = 240;

/**
 * An offline map: shipments' last known positions and live driver positions
 * plotted over the depot's area as SVG. No tiles, no network.
 */
export function MapPanel({ depot, shipments, positions, driverNames }: Props) {
  const x = (lng: number) => ((lng - depot.min_lng) / (depot.max_lng - depot.min_lng)) * WIDTH;
  const y = (lat: number) => HEIGHT - ((lat - depot.min_lat) / (depot.max_lat - depot.min_lat)) * HEIGHT;
  const placed = shipments.filter(
    (s) => s.last_lat !== null && s.last_lng !== null && (s.status === 'picked_up' || s.status === 'in_transit'),
  );
  const drivers = Object.values(positions);

  return (
    <figure className="rounded-xl border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <figcaption className="mb-2 flex justify-between text-sm font-medium">
        <span>Map · {depot.name}</span>
        <span className="text-xs font-normal text-slate-600 dark:text-slate-400">
          {drivers.length} driver{drivers.length === 1 ? '' : 's'} sharing
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Positions over ${depot.name}: ${placed.length} shipments on the road, ${drivers.length} live drivers`}
        className="h-auto w-full rounded bg-slate-50 dark:bg-slate-950"
      >
        {[1, 2, 3].map((i) => (
          <g key={i} className="stroke-slate-200 dark:stroke-slate-800">
            <line x1={(WIDTH * i) / 4} y1={0} x2={(WIDTH * i) / 4} y2={HEIGHT} />
            <line x1={0} y1={(HEIGHT * i) / 4} x2={WIDTH} y2={(HEIGHT * i) / 4} />
          </g>
        ))}
        {placed.map((s) => (
          <circle key={s.id} cx={x(s.last_lng!)} cy={y(s.last_lat!)} r={3} className="fill-slate-400">
            <title>{`${s.reference} (last reported)`}</title>
          </circle>
        ))}
        {drivers.map((p) => (
          <g
            key={p.driver_id}
            data-testid={`driver-dot-${p.driver_id}`}
            transform={`translate(${x(p.lng)} ${y(p.lat)})`}
          >
            <circle r={6} className="fill-indigo-600 stroke-white" strokeWidth={2} />
            <text y={-10} textAnchor="middle" className="fill-slate-700 text-[10px] dark:fill-slate-200">
              {driverNames.get(p.driver_id) ?? 'Driver'}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
