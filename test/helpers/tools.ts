/** Installed server binaries (see src/stack/tools.ts and scripts/install-tools.sh). */
export { findTool, projectRoot, type ToolName } from '../../src/stack/tools';
