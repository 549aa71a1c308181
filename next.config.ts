import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // The end-to-end tests build into their own folder so they never clobber `next dev`.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  // The postgres driver opens raw sockets; keep it out of the server bundle.
  serverExternalPackages: ['postgres'],
  // `next build` checks the app only; `npm test` type-checks the whole project.
  typescript: { tsconfigPath: 'tsconfig.app.json' },
};

export default nextConfig;
