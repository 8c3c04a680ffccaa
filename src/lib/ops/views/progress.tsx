import { Box, render, Text } from 'ink';
import type { ComponentState, ComponentStatus } from '../../cluster/components.js';

/**
 * Live progress of components while a cluster starts or stops. On a TTY an ink view redrawn in
 * place; without one (CI, pipes) a plain line per change. Always on stderr: stdout is for results.
 */
export interface ProgressReporter {
  update(components: ComponentStatus[]): void;
  done(): void;
}

export function createProgress(title: string, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  // created on the first update, so a command that fails before any progress prints only its error
  let inner: ProgressReporter | null = null;
  return {
    update(components) {
      inner ??= stream.isTTY && !process.env.CI ? inkProgress(title, stream) : lineProgress(title, stream);
      inner.update(components);
    },
    done() {
      inner?.done();
      inner = null;
    },
  };
}

function lineProgress(title: string, stream: NodeJS.WriteStream): ProgressReporter {
  const seen = new Map<string, string>();
  const t0 = Date.now();
  stream.write(`${title}\n`);
  return {
    update(components) {
      for (const c of components) {
        const key = `${c.state}|${c.pid ?? ''}`;
        if (seen.get(c.name) === key) continue;
        seen.set(c.name, key);
        if (c.state === 'pending') continue;
        const secs = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
        stream.write(`${secs}s  ${c.name.padEnd(16)} ${c.state}${c.pid ? ` (pid ${c.pid})` : ''}\n`);
      }
    },
    done() {},
  };
}

const symbol: Record<ComponentState, string> = {
  pending: '·',
  starting: '…',
  healthy: '✔',
  restarting: '↻',
  stopping: '…',
  stopped: '■',
  failed: '✖',
};
const colour: Record<ComponentState, string> = {
  pending: 'gray',
  starting: 'yellow',
  healthy: 'green',
  restarting: 'yellow',
  stopping: 'yellow',
  stopped: 'gray',
  failed: 'red',
};

function View({
  title,
  components,
  elapsed,
}: {
  title: string;
  components: ComponentStatus[];
  elapsed: number;
}) {
  return (
    <Box flexDirection="column">
      <Text bold>
        {title} <Text color="gray">{elapsed.toFixed(0)}s</Text>
      </Text>
      {components.map((c) => (
        <Box key={c.name}>
          <Box width={3}>
            <Text color={colour[c.state]}>{symbol[c.state]}</Text>
          </Box>
          <Box width={18}>
            <Text>{c.name}</Text>
          </Box>
          <Box width={12}>
            <Text color={colour[c.state]}>{c.state}</Text>
          </Box>
          <Text color="gray">{c.message ?? c.endpoint}</Text>
        </Box>
      ))}
    </Box>
  );
}

function inkProgress(title: string, stream: NodeJS.WriteStream): ProgressReporter {
  const t0 = Date.now();
  let components: ComponentStatus[] = [];
  const app = render(<View title={title} components={components} elapsed={0} />, {
    stdout: stream,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  const timer = setInterval(() => {
    app.rerender(<View title={title} components={components} elapsed={(Date.now() - t0) / 1000} />);
  }, 500);
  return {
    update(next) {
      components = next;
      app.rerender(<View title={title} components={components} elapsed={(Date.now() - t0) / 1000} />);
    },
    done() {
      clearInterval(timer);
      app.unmount();
    },
  };
}
