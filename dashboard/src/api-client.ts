// The dashboard's view of the API: the same endpoints client apps use, with the API key the
// person entered. Errors carry the API's JSON `error` message and status.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  get<T>(path: string, params?: Record<string, string>): Promise<T>;
}

export const createApiClient = (base: string, key: () => string | null): ApiClient => ({
  async get<T>(path: string, params: Record<string, string> = {}) {
    const query = new URLSearchParams(params).toString();
    const headers: Record<string, string> = {};
    const apiKey = key();
    if (apiKey) headers['x-api-key'] = apiKey;
    const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { headers });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const message =
        (body as { error?: string; message?: string } | undefined)?.error ??
        (body as { message?: string } | undefined)?.message ??
        `HTTP ${res.status}`;
      const retry = Number(res.headers.get('retry-after'));
      throw new ApiError(res.status, message, Number.isFinite(retry) && retry > 0 ? retry : null);
    }
    return body as T;
  },
});
