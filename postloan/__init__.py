"""The post-loan workbook suite: marts, products, presentation and the monthly run."""
from postloan.memory import use_system_allocator as _use_system_allocator

_use_system_allocator()       # every process of the suite: the runner, its workers, the kernels
