/** A command line the CLI cannot run: usage is printed, exit code 2. */
export class CliUsageError extends Error {}
