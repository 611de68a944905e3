export * from './container-instance';
export * from './lifecycle';
export * from './query';
export * from './requirements';
export * from './task-size';
