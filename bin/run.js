#!/usr/bin/env node
import { execute } from '@oclif/core';

// Quiet two library notices that say nothing to a flix user: the AWS SDK's note that future
// releases need Node 22 (the pinned one runs on Node 20), and KafkaJS's v2 partitioner notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

await execute({ dir: import.meta.url });
