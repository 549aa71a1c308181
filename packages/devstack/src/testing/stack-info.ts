export interface StackInfo {
  dbUrl: string;
  serverVersion: string;
  /** The API gateway (auth, rest) of the test stack, e.g. http://127.0.0.1:40123. */
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
