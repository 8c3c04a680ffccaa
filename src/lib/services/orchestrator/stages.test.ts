import { describe, expect, it } from 'vitest';
import { assignPartitions, groupTasks, nextStage, type TaskSpec, videoTaskId } from './stages.js';

describe('ingest stages', () => {
  it('walks the DAG in order and stays put when done', () => {
    expect(nextStage('probe')).toBe('plan');
    expect(nextStage('encode')).toBe('package');
    expect(nextStage('publish')).toBe('published');
    expect(nextStage('published')).toBe('published');
    expect(nextStage('failed')).toBe('failed');
  });

  it('names tasks so a redelivered task is the same task', () => {
    expect(videoTaskId('720p', 3)).toBe('720p/0003');
  });

  it('spreads costly and cheap tasks evenly over partitions', () => {
    const tasks: TaskSpec[] = [];
    for (let c = 0; c < 8; c++) {
      tasks.push({
        taskId: videoTaskId('1080p', c),
        kind: 'video',
        rendition: '1080p',
        chunkIndex: c,
        cost: 9,
      });
      tasks.push({
        taskId: videoTaskId('240p', c),
        kind: 'video',
        rendition: '240p',
        chunkIndex: c,
        cost: 1,
      });
    }
    const parts = assignPartitions(tasks, 4);
    const load = [0, 0, 0, 0];
    for (const t of tasks)
      load[parts.get(t.taskId) as number] = (load[parts.get(t.taskId) as number] ?? 0) + t.cost;
    expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(1);
    expect(new Set(parts.values()).size).toBe(4);
  });

  it("groups a chunk's renditions into one message in chunk shape, keeps tasks alone otherwise", () => {
    const tasks: TaskSpec[] = [
      { taskId: videoTaskId('720p', 0), kind: 'video', rendition: '720p', chunkIndex: 0, cost: 4 },
      { taskId: videoTaskId('360p', 0), kind: 'video', rendition: '360p', chunkIndex: 0, cost: 1 },
      { taskId: videoTaskId('720p', 1), kind: 'video', rendition: '720p', chunkIndex: 1, cost: 4 },
      { taskId: 'audio', kind: 'audio', rendition: 'audio', chunkIndex: 0, cost: 1 },
    ];
    expect(groupTasks(tasks, 'rendition').map((g) => g.key)).toEqual([
      '720p/0000',
      '360p/0000',
      '720p/0001',
      'audio',
    ]);
    const chunked = groupTasks(tasks, 'chunk');
    expect(chunked.map((g) => [g.key, g.items.map((i) => i.rendition), g.spec.cost])).toEqual([
      ['chunk/0', ['720p', '360p'], 5],
      ['chunk/1', ['720p'], 4],
      ['audio', ['audio'], 1],
    ]);
  });

  it('balances the workers the group assigned partitions to, not the partitions', () => {
    // three 8 s chunks' worth, one 4 s, two audio tracks; worker a owns 0-3, b 4-7, c 8-11
    const tasks: TaskSpec[] = [
      { taskId: 'chunk/0', kind: 'video', rendition: '1080p', chunkIndex: 0, cost: 8 },
      { taskId: 'chunk/1', kind: 'video', rendition: '1080p', chunkIndex: 1, cost: 8 },
      { taskId: 'chunk/2', kind: 'video', rendition: '1080p', chunkIndex: 2, cost: 4 },
      { taskId: 'audio', kind: 'audio', rendition: 'audio', chunkIndex: 0, cost: 1 },
      { taskId: 'surround', kind: 'audio', rendition: 'surround', chunkIndex: 0, cost: 2 },
    ];
    const owners = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ];
    const parts = assignPartitions(tasks, 12, owners);
    const workerOf = (id: string) => owners.findIndex((o) => o.includes(parts.get(id) as number));
    expect(new Set(['chunk/0', 'chunk/1', 'chunk/2'].map(workerOf)).size).toBe(3);
    const load = [0, 0, 0];
    for (const t of tasks) load[workerOf(t.taskId)] = (load[workerOf(t.taskId)] as number) + t.cost;
    expect(Math.max(...load)).toBe(8);
    // without the assignment, the costliest three land on partitions 0-2: all worker a's here
    const blind = assignPartitions(tasks, 12);
    expect(['chunk/0', 'chunk/1', 'chunk/2'].map((id) => blind.get(id))).toEqual([0, 1, 2]);
  });
});
