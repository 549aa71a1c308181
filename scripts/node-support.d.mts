import type { Transform } from 'node:stream';

export declare const MINIMUM_NODE: string;
export declare const RECOMMENDED_NODE_MAJOR: number;
export declare function isSupabaseNodeNotice(text: string): boolean;
export declare function isSupportedNode(version?: string): boolean;
export declare function nodeSupportNote(version?: string): string;
export declare function withoutSupabaseNodeNotice(): Transform;
