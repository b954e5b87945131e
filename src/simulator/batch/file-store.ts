import { randomBytes } from 'node:crypto';
import type { OpenAIBatchDialect } from './batch-dialect.ts';
import { type Page, type PageRequest, paginate } from './paginate.ts';

/** `batch` for uploads; `batch_output` for the output and error files the simulator writes. */
export type FilePurpose = 'batch' | 'batch_output';

export interface StoredFile {
  id: string;
  dialect: OpenAIBatchDialect;
  filename: string;
  purpose: FilePurpose;
  /** Unix seconds. */
  createdAt: number;
  /** The one copy of the content; batches that read it keep a reference, so deleting the file frees nothing early. */
  content: Buffer;
}

/** The files of the OpenAI-compatible dialects, in upload order. In memory only: a restart forgets them. */
export class FileStore {
  private readonly files = new Map<string, StoredFile>();

  add(dialect: OpenAIBatchDialect, filename: string, purpose: FilePurpose, content: Buffer): StoredFile {
    const file: StoredFile = {
      id: `file-${randomBytes(12).toString('hex')}`,
      dialect,
      filename,
      purpose,
      createdAt: Math.floor(Date.now() / 1000),
      content,
    };
    this.files.set(file.id, file);
    return file;
  }

  get(dialect: OpenAIBatchDialect, id: string): StoredFile | undefined {
    const file = this.files.get(id);
    return file?.dialect === dialect ? file : undefined;
  }

  delete(dialect: OpenAIBatchDialect, id: string): boolean {
    return this.get(dialect, id) !== undefined && this.files.delete(id);
  }

  list(dialect: OpenAIBatchDialect, purpose: string | undefined, page: PageRequest): Page<StoredFile> {
    const newestFirst: StoredFile[] = [];
    for (const file of this.files.values()) {
      if (file.dialect === dialect && (purpose === undefined || file.purpose === purpose)) newestFirst.push(file);
    }
    newestFirst.reverse();
    return paginate(newestFirst, page);
  }
}

/** The file object as OpenAI returns it. */
export function describeFile(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
  };
}
