import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The postgres driver opens raw sockets; keep it out of the server bundle.
  serverExternalPackages: ['postgres'],
};

export default nextConfig;
