import type { RealtimeProvider } from './provider.ts';
import { OpenAIRealtimeProvider } from './openai/openai-realtime-provider.ts';

export interface CreateProviderOptions {
  provider: 'openai';
  baseUrl: string;
  apiKey: string | null;
  concurrency: number;
}

/** The one place a provider adapter is chosen. Only composition roots (cli/, server/) call it. */
export function createRealtimeProvider(options: CreateProviderOptions): RealtimeProvider {
  return new OpenAIRealtimeProvider({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    connections: options.concurrency,
  });
}
