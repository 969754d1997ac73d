"""The accountability review (贷后管理工作责任追究): cases, duty timelines, lapses and
advisory determinations with 尽职免责 evidence."""
