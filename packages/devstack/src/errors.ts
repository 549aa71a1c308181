/** An error the dev stack explains to the person running it: message plus what to do. */
export class StackError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}
