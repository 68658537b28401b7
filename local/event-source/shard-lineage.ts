/**
 * Which shards of a stream a mapping may read now, after resharding. Kinesis closes a parent when it is
 * split or merged and writes the keys it covered to its children from then on; a consumer that read a
 * child before its parent's last record would deliver a key's newer records before its older ones. So a
 * shard is read only once every parent it has is finished (closed and every record of it processed or
 * given up), which also holds a merge's child back until both its parents are done.
 *
 * Parents are learnt from two places: a full ListShards (ParentShardId, AdjacentParentShardId), which
 * finds every shard including those created while the mapping was off, and GetRecords' ChildShards at a
 * parent's end, which names the children at once. A parent that a listing no longer returns has expired
 * (past the retention period): it has nothing left to read and holds nothing back.
 */

/** One shard and the shards it came from (none for a stream's first shards). */
export interface ShardParents {
  readonly shardId: string;
  readonly parentShardIds: readonly string[];
}

export class ShardLineage {
  /** Every shard seen, in the order Kinesis listed or named it, with its parents still worth waiting for. */
  private readonly parents = new Map<string, readonly string[]>();

  /** Every shard of the stream, from one complete ListShards. */
  learnListing(shards: readonly ShardParents[]): void {
    const listed = new Set(shards.map((s) => s.shardId));
    for (const shard of shards) this.parents.set(shard.shardId, shard.parentShardIds.filter((p) => listed.has(p)));
  }

  /** The children GetRecords named at a closed shard's end (a listing learnt first keeps its answer). */
  learnChildren(children: readonly ShardParents[]): void {
    for (const child of children) {
      if (!this.parents.has(child.shardId)) this.parents.set(child.shardId, [...child.parentShardIds]);
    }
  }

  /** Shards not finished whose every parent is: what may be read now (shards already being read included). */
  readable(isFinished: (shardId: string) => boolean): string[] {
    return [...this.parents].filter(([shardId, parents]) => !isFinished(shardId) && parents.every(isFinished)).map(([shardId]) => shardId);
  }

  parentsOf(shardId: string): readonly string[] {
    return this.parents.get(shardId) ?? [];
  }
}
