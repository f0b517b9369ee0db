// Imported first by the bundle the build makes (build.mjs): links the SDK to
// the component's `trawl:collector/*` imports. Only a component can load this
// module; plain Node cannot resolve `trawl:` specifiers.

import * as cloud from 'trawl:collector/cloud@0.1.1';
import * as log from 'trawl:collector/log@0.1.1';
import * as settings from 'trawl:collector/settings@0.1.1';
import { installComponentHost } from './host.js';

installComponentHost({ cloud, log, settings });
