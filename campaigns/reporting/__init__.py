"""A campaign's results: the roll-up of its figures, the recipients table and its exports.

``figures`` computes every number of the report from aggregate queries; ``rollup`` stores them on
``CampaignResults`` (periodically, and when a report is opened on a small campaign);
``outcomes`` says what became of each recipient's reply routing; ``recipients`` filters the
table; ``exports`` streams it as CSV or XLSX.
"""
