/** The emulators' seed format is the one directory loader in activities/directory.ts (shared with the fakes). */
export {
  DEFAULT_DIRECTORY_PATH,
  DEMO_DIRECTORY_PATH,
  directorySchema,
  loadDirectory,
  parseDirectory,
  seedEmail,
  type Directory,
  type DirectoryInput,
  type DirectoryUserSeed,
} from '../../activities/directory';
