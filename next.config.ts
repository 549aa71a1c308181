import type { NextConfig } from 'next';
import { assertSupabaseKeys } from './lib/supabase/keys';

// `next build`, `next dev` and `next start` all load this file: a malformed
// Supabase key, or a secret key in a NEXT_PUBLIC_ variable (which the build
// would ship to every browser), stops them here with the variable named.
assertSupabaseKeys(process.env);

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // The end-to-end tests build into their own folder so they never clobber `next dev`.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  // The postgres driver opens raw sockets; keep it out of the server bundle.
  serverExternalPackages: ['postgres'],
  // `next build` checks the app only; `npm test` type-checks the whole project.
  typescript: { tsconfigPath: 'tsconfig.app.json' },
  // The Content-Security-Policy is per request (it carries a nonce): see proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          // The driver view asks for the position; nothing asks for camera or microphone.
          { key: 'Permissions-Policy', value: 'geolocation=(self), camera=(), microphone=(), payment=()' },
          ...(process.env.NODE_ENV === 'production'
            ? [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' }]
            : []),
        ],
      },
    ];
  },
};

export default nextConfig;
