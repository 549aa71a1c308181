export interface StackInfo {
  dbUrl: string;
  serverVersion: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
