/** One pino logger for the process; request handlers use child loggers carrying the request id. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'gdhcn-gateway' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
