import { connectionStatus } from './connection-status';

/** Mirrors the browser's online/offline events into the connection status. Returns a cleanup. */
export function watchBrowserNetwork(): () => void {
  const sync = () => connectionStatus.setBrowserOnline(navigator.onLine);
  sync();
  window.addEventListener('offline', sync);
  window.addEventListener('online', sync);
  return () => {
    window.removeEventListener('offline', sync);
    window.removeEventListener('online', sync);
  };
}
